//! Whether a file may be believed or run by the user pycache runs as.
//!
//! pycache runs as root on systems where other users write files: a
//! configuration file, an interpreter, a `PATH` directory or the standard
//! library's bytecode that another user could have written would let that
//! user steer root. One rule decides for all of them: the file, and every
//! directory the path leads through, must be owned by root or by the user
//! running pycache (for root: root alone) and writable by no one else. A
//! sticky directory (`/tmp`) may be writable by all, since there only an
//! entry's owner may rename or remove it; a symbolic link met on the way
//! must then be owned by root or that user too, as a link's own mode means
//! nothing. Directories are opened one component at a time without
//! following a link, so the chain judged is the chain used.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Stat};

use crate::fs::dir::Handle;

/// Symbolic links followed in one lookup at most, as the kernels' own
/// limit (`ELOOP`).
const MAX_LINKS: usize = 32;

/// Opens the absolute directory `path` from `/`, one component at a time
/// without following a link ([`Handle::open_path_checked`]), each directory
/// trusted ([`check`]); the last one may not be a sticky directory writable
/// by others.
pub fn open_dir(path: &Path) -> Result<Handle, String> {
    Handle::open_path_checked(
        path,
        |at, handle, last| {
            let stat = handle.metadata().map_err(|e| refused(at, &e))?;
            check(at, &stat, !last)
        },
        |at, e| refused(at, &e),
    )
}

/// Why a path did not lead to a trusted file.
#[derive(Debug)]
pub enum Refusal {
    /// The lookup failed (a component is not a directory, too many links,
    /// an I/O error): the error.
    Unreadable(io::Error),
    /// A directory, link or the file itself is not trusted: why.
    Untrusted(String),
}

/// The file `path` leads to, found as the kernel would find it (links
/// followed, `..` taken) but through trusted directories only: every
/// directory the lookup passes through, every link it follows and the file
/// itself are checked, so no other user can change what the path leads to.
/// Returns the directory holding the file (open), the file's name there and
/// its own `stat`; `Ok(None)` when a component does not exist.
pub fn resolve(path: &Path) -> Result<Option<(Handle, OsString, Stat)>, Refusal> {
    let path = std::path::absolute(path).map_err(Refusal::Unreadable)?;
    let mut pending = names(&path);
    let mut at = PathBuf::from("/");
    let root = Handle::open_root(&at).map_err(Refusal::Unreadable)?;
    let stat = root.metadata().map_err(Refusal::Unreadable)?;
    check(&at, &stat, true).map_err(Refusal::Untrusted)?;
    // The directories from `/` down to the current one, for `..`.
    let mut dirs: Vec<(PathBuf, Handle)> = vec![(at.clone(), root)];
    let mut links = 0;
    while let Some(name) = pending.pop() {
        if name == ".." {
            if dirs.len() > 1 {
                dirs.pop();
            }
            at = dirs.last().expect("the root stays").0.clone();
            continue;
        }
        let dir = &dirs.last().expect("the root stays").1;
        let entry = at.join(&name);
        let stat = match dir.stat(&name) {
            Ok(stat) => stat,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Refusal::Unreadable(e)),
        };
        match FileType::from_raw_mode(stat.st_mode as _) {
            FileType::Symlink => {
                owner(&entry, &stat).map_err(Refusal::Untrusted)?;
                links += 1;
                if links > MAX_LINKS {
                    return Err(Refusal::Unreadable(io::Error::other(
                        "too many levels of symbolic links",
                    )));
                }
                let target = PathBuf::from(dir.read_link(&name).map_err(Refusal::Unreadable)?);
                if target.is_absolute() {
                    dirs.truncate(1);
                    at = PathBuf::from("/");
                }
                pending.extend(names(&target));
            }
            FileType::Directory if !pending.is_empty() => {
                let handle = dir.open_dir(&name).map_err(Refusal::Unreadable)?;
                let stat = handle.metadata().map_err(Refusal::Unreadable)?;
                check(&entry, &stat, true).map_err(Refusal::Untrusted)?;
                at = entry.clone();
                dirs.push((entry, handle));
            }
            _ if !pending.is_empty() => {
                return Err(Refusal::Unreadable(io::Error::from_raw_os_error(
                    rustix::io::Errno::NOTDIR.raw_os_error(),
                )));
            }
            _ => {
                check(&entry, &stat, false).map_err(Refusal::Untrusted)?;
                let (_, dir) = dirs.pop().expect("the root stays");
                return Ok(Some((dir, name, stat)));
            }
        }
    }
    // The path named `/` or a directory reached by `..` only.
    Err(Refusal::Unreadable(io::Error::other("not a file")))
}

/// Opens the regular file `path` leads to for reading ([`resolve`]),
/// without blocking (a FIFO is refused, never waited on), and checks on the
/// descriptor that it is the file judged. `Ok(None)` when there is none.
pub fn open_file(path: &Path) -> Result<Option<(File, Stat)>, Refusal> {
    let Some((dir, name, judged)) = resolve(path)? else {
        return Ok(None);
    };
    let (file, stat) = match dir.open_file(&name, false) {
        Ok(opened) => opened,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Refusal::Unreadable(e)),
    };
    if (stat.st_dev, stat.st_ino) != (judged.st_dev, judged.st_ino) {
        return Err(Refusal::Unreadable(io::Error::other(
            "replaced while it was being opened",
        )));
    }
    Ok(Some((file, stat)))
}

/// The path's names, last first (for popping), `.` and the root left out.
fn names(path: &Path) -> Vec<OsString> {
    let mut names: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    names.reverse();
    names
}

/// Whether `stat` (of `path`) is owned by root or by the user running
/// pycache and writable by no one else; `sticky_ok`: a sticky directory
/// may be writable by all (see the module documentation).
pub fn check(path: &Path, stat: &Stat, sticky_ok: bool) -> Result<(), String> {
    owner(path, stat)?;
    // The field types differ between platforms and rustix backends.
    #[allow(clippy::unnecessary_cast)]
    let mode = stat.st_mode as u32;
    let sticky = mode & 0o1000 != 0
        && FileType::from_raw_mode(mode as _) == FileType::Directory
        && sticky_ok;
    if mode & 0o022 != 0 && !sticky {
        return Err(format!(
            "{}: writable by group or others (mode {:o})",
            path.display(),
            mode & 0o7777
        ));
    }
    Ok(())
}

/// Whether `stat` (of `path`) is owned by root or by the user running
/// pycache.
fn owner(path: &Path, stat: &Stat) -> Result<(), String> {
    // The field types differ between platforms and rustix backends.
    #[allow(clippy::unnecessary_cast)]
    let uid = stat.st_uid as u32;
    let me = rustix::process::geteuid().as_raw();
    if uid == 0 || uid == me {
        return Ok(());
    }
    let whom = if me == 0 {
        "root".to_string()
    } else {
        format!("root or uid {me}")
    };
    Err(format!(
        "{}: owned by uid {uid}, not {whom}",
        path.display()
    ))
}

/// Why an entry could not be opened: a symlink (`O_NOFOLLOW` fails with
/// `ELOOP` on Linux, `EMLINK` on FreeBSD), a symlink or not a directory
/// (`ENOTDIR`), not a regular file, or the error itself.
pub fn refused(path: &Path, e: &io::Error) -> String {
    use rustix::io::Errno;
    let is = |errno: Errno| e.raw_os_error() == Some(errno.raw_os_error());
    if is(Errno::LOOP) || is(Errno::MLINK) {
        format!("{}: a symlink", path.display())
    } else if is(Errno::NOTDIR) {
        // Linux's answer for a symlink opened with `O_DIRECTORY` too.
        format!("{}: a symlink or not a directory", path.display())
    } else {
        format!("{}: {e}", path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn resolved(path: &Path) -> Result<Option<OsString>, String> {
        match resolve(path) {
            Ok(found) => Ok(found.map(|(_, name, _)| name)),
            Err(Refusal::Untrusted(why)) => Err(why),
            Err(Refusal::Unreadable(e)) => Err(e.to_string()),
        }
    }

    #[test]
    fn links_are_followed_through_trusted_directories_only() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().canonicalize().unwrap();
        let open = top.join("open");
        std::fs::create_dir_all(top.join("safe/bin")).unwrap();
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::write(top.join("safe/bin/python3.11"), "").unwrap();
        symlink("python3.11", top.join("safe/bin/python3")).unwrap();
        symlink(top.join("safe/bin/python3"), open.join("python3")).unwrap();
        symlink("../safe/bin/python3", top.join("safe/up")).unwrap();
        assert_eq!(
            resolved(&top.join("safe/bin/python3")),
            Ok(Some("python3.11".into()))
        );
        assert_eq!(
            resolved(&top.join("safe/up")),
            Ok(Some("python3.11".into()))
        );
        assert_eq!(resolved(&top.join("safe/bin/none")), Ok(None));
        // A link in a directory anyone can write leads wherever its
        // writer wants next time: refused, though its target is fine.
        assert_eq!(
            resolved(&open.join("python3")),
            Err(format!(
                "{}: writable by group or others (mode 777)",
                open.display()
            ))
        );
        symlink("loop", top.join("safe/loop")).unwrap();
        assert_eq!(
            resolved(&top.join("safe/loop")),
            Err("too many levels of symbolic links".to_string())
        );
    }
}
