//! Spreading independent file-system work (reading pyc headers, unlinking
//! orphans, walking subtrees) over the cores: each costs a few system
//! calls, and on a large tree the kernel time is the run time.
//!
//! The calling thread always takes a share of the work, and a thread that
//! cannot be spawned (a low `ulimit -u`, a thread limit) only means fewer
//! threads: its share is done on the calling thread. Nothing here panics
//! for want of threads.

use std::thread::{Builder, Scope, ScopedJoinHandle};

/// The threads worth using: the cores, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// `items.iter().map(f).collect()`, in order, on up to [`threads`] threads
/// each taking one contiguous part, with a state each thread makes once
/// with `init` and hands to every call of `f` (directory handles kept open
/// between items). Fewer than `serial_below` items stay on the calling
/// thread, where starting threads would cost more than it saves.
pub fn map_init<T: Sync, S, R: Send>(
    items: &[T],
    serial_below: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let threads = threads();
    let run = |part: &[T]| {
        let mut state = init();
        part.iter()
            .map(|item| f(&mut state, item))
            .collect::<Vec<R>>()
    };
    if threads < 2 || items.len() < serial_below.max(2) {
        return run(items);
    }
    let run = &run;
    std::thread::scope(|s| {
        let mut parts = items.chunks(items.len().div_ceil(threads));
        let first = parts.next().unwrap_or_default();
        let spawned: Vec<_> = parts
            .map(|part| (part, spawn(s, move || run(part))))
            .collect();
        let mut out = run(first);
        for (part, handle) in spawned {
            match handle {
                Some(handle) => out.extend(join(handle)),
                None => out.extend(run(part)),
            }
        }
        out
    })
}

/// Runs `work` on the calling thread and on up to `threads - 1` more, and
/// returns what each run returned (the calling thread's first). `work`
/// takes its items from a shared source, so a thread that cannot be
/// spawned leaves its share to the others.
pub fn run_on<R: Send>(threads: usize, work: impl Fn() -> R + Sync) -> Vec<R> {
    let work = &work;
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).filter_map(|_| spawn(s, work)).collect();
        let mut out = vec![work()];
        out.extend(helpers.into_iter().map(join));
        out
    })
}

fn spawn<'scope, 'env, R: Send + 'scope>(
    s: &'scope Scope<'scope, 'env>,
    f: impl FnOnce() -> R + Send + 'scope,
) -> Option<ScopedJoinHandle<'scope, R>> {
    Builder::new().spawn_scoped(s, f).ok()
}

fn join<R>(handle: ScopedJoinHandle<'_, R>) -> R {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_on_every_path() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled: Vec<u32> = items.iter().map(|i| i * 2).collect();
        let map = |items: &[u32], serial_below| {
            super::map_init(items, serial_below, || (), |(), i| i * 2)
        };
        assert_eq!(map(&items, 10), doubled);
        assert_eq!(map(&items, 10_000), doubled);
        assert_eq!(map(&[], 0), Vec::<u32>::new());
    }

    #[test]
    fn run_on_shares_the_work() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let next = AtomicUsize::new(0);
        let counts = super::run_on(4, || {
            let mut n = 0;
            while next.fetch_add(1, Ordering::Relaxed) < 100 {
                n += 1;
            }
            n
        });
        assert_eq!(counts.iter().sum::<usize>(), 100);
    }
}
