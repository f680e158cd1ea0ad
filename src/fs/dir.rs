//! Directory handles: the only way the engine opens, reads, stats or
//! removes anything inside a site-packages.
//!
//! pycache runs as root on trees other users may write to. A path looked at
//! once may be a symlink, a FIFO or another file by the next system call, so
//! nothing inside the tree is reached by a full path. The site-packages is
//! opened once ([`Handle::open_root`]); every directory below it is opened
//! relative to its parent's handle with `O_DIRECTORY | O_NOFOLLOW`, one
//! component at a time ([`Cursor`]), and every file relative to its
//! directory's handle:
//! - removals are `unlinkat` / `unlinkat(AT_REMOVEDIR)` on the handle of the
//!   directory that holds the name, so a directory swapped for a symlink
//!   makes the removal fail (`ELOOP`/`ENOTDIR` when the handle is opened),
//!   never land outside the tree;
//! - files whose bytes decide a verdict (pyc headers, sources hashed for
//!   checked-hash pycs) are opened `O_NONBLOCK | O_NOFOLLOW` and checked to
//!   be regular files with `fstat` on the descriptor: a FIFO never blocks
//!   the run, a symlink is never read through;
//! - a source's mtime and size come from `fstatat(AT_SYMLINK_NOFOLLOW)` on
//!   its directory's handle.
//!
//! The descriptor work is done by rustix (`openat`, `fstat`, `statat`,
//! `unlinkat`, `Dir`), which has the same API on Linux and FreeBSD (its libc
//! backend on FreeBSD, direct system calls on Linux).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};

use crate::fs::path;

/// What a directory entry is, as far as the rules care; links never
/// followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    /// FIFO, socket, device.
    Other,
}

impl Kind {
    fn of(file_type: FileType) -> Option<Kind> {
        Some(match file_type {
            FileType::Directory => Kind::Dir,
            FileType::RegularFile => Kind::File,
            FileType::Symlink => Kind::Symlink,
            FileType::Unknown => return None,
            _ => Kind::Other,
        })
    }
}

/// An open directory, reached without following links below the root.
#[derive(Debug)]
pub struct Handle {
    fd: OwnedFd,
}

/// Which file a name led to when it was looked at: its device and inode.
/// A file opened later is the same file only when these are equal; the
/// name may have been swapped meanwhile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

impl FileId {
    /// The identity `stat` gives.
    // The field types differ between platforms and rustix backends.
    #[allow(clippy::unnecessary_cast)]
    pub fn of(stat: &Stat) -> FileId {
        FileId {
            dev: stat.st_dev as u64,
            ino: stat.st_ino as u64,
        }
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW);

impl Handle {
    /// Opens the site-packages itself, by the path
    /// [`Target::locate`](crate::Target::locate) resolved: every link in it
    /// already followed, so the last component is not followed either (a
    /// site-packages swapped for a link since fails with `ELOOP`).
    pub fn open_root(path: &Path) -> io::Result<Handle> {
        let fd = rustix::fs::open(path, DIR_FLAGS, Mode::empty())?;
        Ok(Handle { fd })
    }

    /// Opens the absolute directory `path` from `/`, one component at a
    /// time, never following a link: a path whose links were resolved
    /// beforehand (a canonical one) opens only while none of its
    /// components has been swapped for a link since (`ELOOP`, `EMLINK` or
    /// `ENOTDIR` otherwise). `.` and `..` are refused.
    pub fn open_path(path: &Path) -> io::Result<Handle> {
        Handle::open_path_checked(path, |_, _, _| Ok(()), |_, e| e)
    }

    /// [`Handle::open_path`], with `check` called on each directory as it
    /// is opened, `/` first: its path, its handle, and whether it is `path`
    /// itself. An error of `check` ends the walk; a directory that cannot
    /// be opened ends it with `failed(its path, the error)`. The chain
    /// checked is the chain opened: a name swapped after its check cannot
    /// change a directory already open.
    pub fn open_path_checked<E>(
        path: &Path,
        mut check: impl FnMut(&Path, &Handle, bool) -> Result<(), E>,
        failed: impl Fn(&Path, io::Error) -> E,
    ) -> Result<Handle, E> {
        if !path.is_absolute() {
            return Err(failed(path, io::Error::other("not an absolute path")));
        }
        let mut names = Vec::new();
        for component in path.components() {
            match component {
                Component::Normal(name) => names.push(name),
                Component::RootDir => {}
                _ => return Err(failed(path, io::Error::other("not a plain absolute path"))),
            }
        }
        let mut at = PathBuf::from("/");
        let mut handle = Handle::open_root(&at).map_err(|e| failed(&at, e))?;
        check(&at, &handle, names.is_empty())?;
        for (i, name) in names.iter().enumerate() {
            at.push(name);
            handle = handle.open_dir(name).map_err(|e| failed(&at, e))?;
            check(&at, &handle, i + 1 == names.len())?;
        }
        Ok(handle)
    }

    /// Opens the subdirectory `name`, failing (`ELOOP` or `ENOTDIR`) when it
    /// is a symlink or not a directory.
    pub fn open_dir(&self, name: &OsStr) -> io::Result<Handle> {
        let fd = rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty())?;
        Ok(Handle { fd })
    }

    /// The entries of this directory except `.` and `..`, each with its
    /// kind (`fstatat` without following links where the file system does
    /// not say). Reading needs a descriptor of its own (two more system
    /// calls); [`Handle::into_entries`] saves them when the handle is not
    /// needed afterwards.
    pub fn entries(&self) -> io::Result<Vec<(OsString, Kind)>> {
        read(rustix::fs::Dir::read_from(&self.fd)?)
    }

    /// [`Handle::entries`], closing the handle.
    pub fn into_entries(self) -> io::Result<Vec<(OsString, Kind)>> {
        read(rustix::fs::Dir::new(self.fd)?)
    }

    /// `fstat` of this directory itself: its owner and mode, as opened
    /// (a name swapped since cannot change the answer).
    pub fn metadata(&self) -> io::Result<Stat> {
        Ok(rustix::fs::fstat(&self.fd)?)
    }

    /// `fstatat(name, AT_SYMLINK_NOFOLLOW)`: the entry itself.
    pub fn stat(&self, name: &OsStr) -> io::Result<Stat> {
        Ok(rustix::fs::statat(
            &self.fd,
            name,
            AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }

    /// Opens the regular file `name` for reading without blocking (a FIFO
    /// has no writer to wait for) and checks on the descriptor that it is a
    /// regular file. `follow`: the entry was listed as a symlink inside the
    /// tree (a source); otherwise a symlink fails with `ELOOP`.
    pub fn open_file(&self, name: &OsStr, follow: bool) -> io::Result<(File, Stat)> {
        let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        if !follow {
            flags |= OFlags::NOFOLLOW;
        }
        let fd = rustix::fs::openat(&self.fd, name, flags, Mode::empty())?;
        regular(fd)
    }

    /// The target of the symlink `name` of this directory (`readlinkat`).
    pub fn read_link(&self, name: &OsStr) -> io::Result<OsString> {
        let target = rustix::fs::readlinkat(&self.fd, name, Vec::new())?;
        Ok(OsString::from_vec(target.into_bytes()))
    }

    /// Removes the file (or symlink) `name` of this directory; never
    /// follows a link.
    pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?)
    }

    /// Removes the empty directory `name` of this directory.
    pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)?)
    }
}

/// Opens `path` as [`Handle::open_file`] does, links in its directories
/// followed (a path the caller chose), the last component only with
/// `follow`.
pub fn open_file_path(path: &Path, follow: bool) -> io::Result<(File, Stat)> {
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = rustix::fs::open(path, flags, Mode::empty())?;
    regular(fd)
}

/// Opens the regular file at the absolute `path` as [`Handle::open_file`]
/// does, without following a link anywhere on the way
/// ([`Handle::open_path`]).
pub fn open_file_nofollow(path: &Path) -> io::Result<(File, Stat)> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::other("not a file path"));
    };
    Handle::open_path(dir)?.open_file(name, false)
}

fn read(mut dir: rustix::fs::Dir) -> io::Result<Vec<(OsString, Kind)>> {
    let mut listed = Vec::new();
    while let Some(entry) = dir.read() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            listed.push((
                OsString::from_vec(name.to_vec()),
                Kind::of(entry.file_type()),
            ));
        }
    }
    // File systems that do not give kinds: ask, without following links.
    let mut entries = Vec::with_capacity(listed.len());
    for (name, kind) in listed {
        let kind = match kind {
            Some(kind) => kind,
            None => match rustix::fs::statat(dir.fd()?, &name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => {
                    Kind::of(FileType::from_raw_mode(stat.st_mode as _)).unwrap_or(Kind::Other)
                }
                // Gone since it was listed.
                Err(rustix::io::Errno::NOENT) => continue,
                Err(e) => return Err(e.into()),
            },
        };
        entries.push((name, kind));
    }
    Ok(entries)
}

fn regular(fd: OwnedFd) -> io::Result<(File, Stat)> {
    let stat = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(stat.st_mode as _) != FileType::RegularFile {
        return Err(io::Error::other("not a regular file"));
    }
    Ok((File::from(fd), stat))
}

/// Whether an error means the name is not a directory any more (gone, or
/// swapped for a file): such a directory is treated as missing.
pub fn is_gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || errno_is(e, rustix::io::Errno::NOTDIR)
}

/// Whether opening a directory failed because the name is a symlink
/// (`O_NOFOLLOW` fails with `ELOOP` on Linux, `EMLINK` on FreeBSD) or not a
/// directory (`ENOTDIR`).
pub fn is_not_dir(e: &io::Error) -> bool {
    use rustix::io::Errno;
    [Errno::LOOP, Errno::MLINK, Errno::NOTDIR]
        .into_iter()
        .any(|errno| errno_is(e, errno))
}

fn errno_is(e: &io::Error, errno: rustix::io::Errno) -> bool {
    e.raw_os_error() == Some(errno.raw_os_error())
}

/// Opens directories below a root handle by their paths, one component at
/// a time without following links, keeping the handles of the last path's
/// directories open so that the next path (in walk order, usually a
/// sibling or a child) costs one `openat`.
pub struct Cursor<'r> {
    root: &'r Handle,
    root_path: &'r Path,
    /// Handles of the components of the last path opened, outermost first.
    open: Vec<(OsString, Handle)>,
}

impl<'r> Cursor<'r> {
    /// A cursor below `root`, whose path is `root_path`.
    pub fn new(root: &'r Handle, root_path: &'r Path) -> Cursor<'r> {
        Cursor {
            root,
            root_path,
            open: Vec::new(),
        }
    }

    /// The handle of `dir`, a path at or below the root (given with the
    /// root's path as prefix). Fails with `ELOOP` or `ENOTDIR` when a
    /// component is a symlink or not a directory, `ENOENT` when one is gone.
    pub fn open(&mut self, dir: &Path) -> io::Result<&Handle> {
        let parts = self.parts(dir)?;
        let common = self
            .open
            .iter()
            .zip(&parts)
            .take_while(|((open, _), part)| open.as_os_str() == **part)
            .count();
        self.open.truncate(common);
        for part in &parts[common..] {
            let parent = self.open.last().map_or(self.root, |(_, h)| h);
            let handle = parent.open_dir(part)?;
            self.open.push((part.to_os_string(), handle));
        }
        Ok(self.open.last().map_or(self.root, |(_, h)| h))
    }

    /// The names of `dir`'s components below the root.
    fn parts<'p>(&self, dir: &'p Path) -> io::Result<Vec<&'p OsStr>> {
        // Plain paths (all the engine makes) are split at each `/`:
        // `strip_prefix` and `components` parse every path again, and the
        // cursor is asked for every file a trigger run removes.
        let bytes = dir.as_os_str().as_bytes();
        if let Some(rest) = bytes.strip_prefix(self.root_path.as_os_str().as_bytes()) {
            if rest.is_empty() && path::plain_parts(bytes).is_some() {
                return Ok(Vec::new());
            }
            let plain = rest.starts_with(b"/")
                && path::plain_parts(self.root_path.as_os_str().as_bytes()).is_some();
            if let Some(names) = path::plain_parts(rest).filter(|_| plain) {
                return Ok(names.map(OsStr::from_bytes).collect());
            }
        }
        let rel = dir
            .strip_prefix(self.root_path)
            .map_err(|_| io::Error::other("not below the site-packages"))?;
        let mut parts = Vec::new();
        for part in rel.components() {
            match part {
                Component::Normal(name) => parts.push(name),
                _ => return Err(io::Error::other("not a plain path below the site-packages")),
            }
        }
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_path_checks_each_directory_from_the_root_and_follows_no_link() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(top.join("a/b")).unwrap();
        std::os::unix::fs::symlink("a", top.join("link")).unwrap();
        let mut seen = Vec::new();
        let opened = Handle::open_path_checked(
            &top.join("a/b"),
            |at, _, last| {
                seen.push((at.to_path_buf(), last));
                Ok::<(), String>(())
            },
            |at, e| format!("{}: {e}", at.display()),
        );
        assert!(opened.is_ok());
        let target = top.join("a/b");
        let mut want: Vec<(PathBuf, bool)> = (target.ancestors())
            .map(|p| (p.to_path_buf(), p == target))
            .collect();
        want.reverse();
        assert_eq!(seen, want);
        // A refusal ends the walk where it is made.
        let refused = Handle::open_path_checked(
            &top.join("a/b"),
            |at, _, _| match at == top.join("a") {
                true => Err(format!("{}: refused", at.display())),
                false => Ok(()),
            },
            |at, e| format!("{}: {e}", at.display()),
        );
        assert_eq!(
            refused.err(),
            Some(format!("{}: refused", top.join("a").display()))
        );
        // A link on the way is not followed: the error names it.
        let through_link = Handle::open_path_checked(
            &top.join("link/b"),
            |_, _, _| Ok(()),
            |at, _| at.to_path_buf(),
        );
        assert_eq!(through_link.err(), Some(top.join("link")));
        assert!(Handle::open_path(&top.join("link/b")).is_err());
        assert!(Handle::open_path(&top.join("a/../a")).is_err());
        assert!(Handle::open_path(Path::new("a/b")).is_err());
    }
}
