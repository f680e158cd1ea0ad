//! Spreading independent file-system work (reading pyc headers, unlinking
//! orphans) over the cores: each costs a few system calls, and on a large
//! tree the kernel time is the run time.

/// The threads worth using: the cores, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// `items.iter().map(f).collect()`, in order, on up to [`threads`] threads
/// each taking one contiguous part. Fewer than `serial_below` items stay on
/// the calling thread, where starting threads would cost more than it saves.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    serial_below: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads();
    if threads < 2 || items.len() < serial_below.max(2) {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("file-system work does not panic"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_on_every_path() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled: Vec<u32> = items.iter().map(|i| i * 2).collect();
        assert_eq!(super::map(&items, 10, |i| i * 2), doubled);
        assert_eq!(super::map(&items, 10_000, |i| i * 2), doubled);
        assert_eq!(super::map(&[] as &[u32], 0, |i| i * 2), Vec::<u32>::new());
    }
}
