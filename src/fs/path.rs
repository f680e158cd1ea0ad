//! Paths as bytes: joining a name, stripping a root, sorting in `Path`'s
//! order, all without `Path::components`' parsing where the path is plain
//! (`/` and names only), which every path the engine builds is.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Sorts `items` by the path `path` gives, in `Path`'s own order (component
/// by component), comparing one byte string per item made once. Sorting
/// paths directly parses both paths' components again at every comparison:
/// the sorts of a trigger run's few thousand orphans and directories cost
/// more instructions than the rest of the run. Stable.
pub fn sort_by_path<T>(items: &mut [T], path: impl Fn(&T) -> &Path) {
    items.sort_by_cached_key(|item| path_key(path(item)));
}

/// Bytes that compare as `path` does: each component as a byte for its kind
/// (in `Component`'s order), its name, and a NUL, which no name holds and
/// which sorts a name before every longer name it begins.
fn path_key(path: &Path) -> Vec<u8> {
    let bytes = path.as_os_str().as_bytes();
    let mut key = Vec::with_capacity(bytes.len() + 8);
    // The paths sorted are plain (`/` and names): split at each `/`, the
    // same key without `Components`' parsing, which cost as much again.
    if let Some(parts) = plain_parts(bytes) {
        if bytes.starts_with(b"/") {
            key.extend_from_slice(&[2, 0]);
        }
        for name in parts {
            key.push(5);
            key.extend_from_slice(name);
            key.push(0);
        }
        return key;
    }
    for part in path.components() {
        let (kind, name): (u8, &[u8]) = match part {
            Component::Prefix(prefix) => (1, prefix.as_os_str().as_bytes()),
            Component::RootDir => (2, b""),
            Component::CurDir => (3, b""),
            Component::ParentDir => (4, b""),
            Component::Normal(name) => (5, name.as_bytes()),
        };
        key.push(kind);
        key.extend_from_slice(name);
        key.push(0);
    }
    key
}

/// The names of a path made of `/` and names only (absolute or not): no
/// empty, `.` or `..` component, no trailing `/`. `None` for anything else
/// (then `Path::components` says what it is).
pub fn plain_parts(bytes: &[u8]) -> Option<impl Iterator<Item = &[u8]>> {
    let rest = bytes.strip_prefix(b"/").unwrap_or(bytes);
    let plain = !rest.is_empty()
        && rest
            .split(|&b| b == b'/')
            .all(|name| !name.is_empty() && name != b"." && name != b"..");
    plain.then(|| rest.split(|&b| b == b'/'))
}

/// `dir.join(name)` for a plain file name (no `/`), in one allocation of
/// the right size (`join` grows its buffer as it goes).
pub fn join_name(dir: &Path, name: &OsStr) -> PathBuf {
    let dir = dir.as_os_str();
    let mut path = OsString::with_capacity(dir.len() + 1 + name.len());
    path.push(dir);
    if !dir.is_empty() && !dir.as_bytes().ends_with(b"/") {
        path.push("/");
    }
    path.push(name);
    PathBuf::from(path)
}

/// `path.strip_prefix(root).ok()`, by comparing bytes where both are plain
/// (see [`plain_parts`]); `strip_prefix` compares component by component
/// and was a third of a no-op scan's time in user space.
pub fn below<'p>(path: &'p Path, root: &Path) -> Option<&'p Path> {
    let (bytes, prefix) = (path.as_os_str().as_bytes(), root.as_os_str().as_bytes());
    if let Some(rest) = bytes
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix(b"/"))
    {
        if plain_parts(prefix).is_some() && plain_parts(rest).is_some() {
            return Some(Path::new(OsStr::from_bytes(rest)));
        }
    }
    path.strip_prefix(root).ok()
}

/// Symlinks followed while resolving one path inside a root, as Linux's
/// and FreeBSD's own limit (ELOOP) for a lookup.
const MAX_SYMLINKS: usize = 32;

/// Resolves the absolute `path` as if `root` were `/`: `..` stops at the
/// root, absolute symlink targets restart from the root. The result is
/// always inside `root` (a canonical path). Components that do not exist are
/// kept as they are.
pub fn resolve_in_root(root: &Path, path: &Path) -> Result<PathBuf, (PathBuf, io::Error)> {
    let mut pending: Vec<OsString> = components(path);
    pending.reverse();
    let mut current = root.to_path_buf();
    let mut links = 0;
    while let Some(name) = pending.pop() {
        if name == ".." {
            if current != root {
                current.pop();
            }
            continue;
        }
        let candidate = current.join(&name);
        match candidate.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err((
                        candidate,
                        io::Error::other("too many levels of symbolic links"),
                    ));
                }
                let target = candidate.read_link().map_err(|e| (candidate.clone(), e))?;
                if target.is_absolute() {
                    current = root.to_path_buf();
                }
                let mut more = components(&target);
                more.reverse();
                pending.extend(more);
            }
            _ => current = candidate,
        }
    }
    Ok(current)
}

fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// `path` for a terminal: UTF-8 as it is, but each byte that is not
/// UTF-8 and each control character (which could move the cursor or
/// change colours: a file name is anyone's) as `\xNN`.
pub fn shown(path: &Path) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(path.as_os_str().len());
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_paths_hold_no_control_characters() {
        let path = Path::new(OsStr::from_bytes(
            b"/a/caf\xe9/\x1b[31mred\n\xc2\x85/\xc3\xa9.py",
        ));
        assert_eq!(
            shown(path),
            "/a/caf\\xe9/\\x1b[31mred\\x0a\\xc2\\x85/\u{e9}.py"
        );
    }

    #[test]
    fn join_name_and_below_agree_with_std() {
        for dir in ["/a/b", "/a/b/", "a", "/", "/a//b", "/a/./b", ""] {
            for name in ["c.py", "__pycache__", ".x"] {
                let ours = join_name(Path::new(dir), OsStr::new(name));
                assert_eq!(ours, Path::new(dir).join(name));
                assert_eq!(ours.as_os_str(), Path::new(dir).join(name).as_os_str());
            }
        }
        for (path, root) in [
            ("/a/b/c", "/a/b"),
            ("/a/b", "/a/b"),
            ("/a/bc", "/a/b"),
            ("/a/b/c/", "/a/b"),
            ("/a//b/c", "/a/b"),
            ("/a/b/./c", "/a/b"),
            ("/a/b/c", "/a/b/"),
            ("/x/c", "/a/b"),
            ("/a/b/../c", "/a/b"),
            ("a/b", "a"),
        ] {
            let (path, root) = (Path::new(path), Path::new(root));
            assert_eq!(
                below(path, root),
                path.strip_prefix(root).ok(),
                "{path:?} {root:?}"
            );
        }
    }

    #[test]
    fn sort_by_path_is_path_order() {
        let names = [
            "/a/b",
            "/a-c",
            "/a",
            "/a/b/c",
            "/ab",
            "/a.b/c",
            "/a/.b",
            "/a//b/",
            "/a/b/",
            "a/b",
            "./a",
            "../a",
            "a/../b",
            "/",
            "/a/b-c",
            "/a/b/-",
            "/a/b\\xff",
            "/\u{e9}/x",
            "/A",
            "/a/b.py",
            "/a/b/__pycache__",
            "/a/b_",
            "",
        ];
        let mut ours: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        ours.reverse();
        let mut std_order = ours.clone();
        std_order.sort();
        sort_by_path(&mut ours, |p| p);
        assert_eq!(ours, std_order);
        for a in &std_order {
            for b in &std_order {
                assert_eq!(path_key(a).cmp(&path_key(b)), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }
}

#[cfg(test)]
mod root_tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn root_resolution_never_leaves_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("real/lib")).unwrap();
        symlink("/real", root.join("abs")).unwrap();
        symlink("../../../../..", root.join("real/up")).unwrap();
        symlink("/host-etc", root.join("etc")).unwrap();
        assert_eq!(
            resolve_in_root(&root, Path::new("/abs/lib")).unwrap(),
            root.join("real/lib")
        );
        assert_eq!(
            resolve_in_root(&root, Path::new("/real/up/real")).unwrap(),
            root.join("real")
        );
        assert_eq!(
            resolve_in_root(&root, Path::new("/../../x")).unwrap(),
            root.join("x")
        );
        assert_eq!(
            resolve_in_root(&root, Path::new("/etc/passwd")).unwrap(),
            root.join("host-etc/passwd")
        );
        symlink("loop", root.join("loop")).unwrap();
        let (path, source) = resolve_in_root(&root, Path::new("/loop")).unwrap_err();
        assert_eq!(path, root.join("loop"));
        assert_eq!(source.to_string(), "too many levels of symbolic links");
    }
}
