//! Where the tree a run works on is on this machine: a site-packages, or
//! with `stdlib` the whole `lib/python3.X` that holds it; below `--root`
//! (every symlink resolved inside the root, so none leads out of it), or
//! behind a symlink on the running system.

use std::path::{Component, Path, PathBuf};

use crate::error::Error;
use crate::fs::path;

/// Where the tree of a [`Target`](crate::Target) is on this machine,
/// resolved.
#[derive(Clone, Debug)]
pub struct Location {
    /// The directory the engine reads and writes (symlinks resolved, inside
    /// the root when there is one).
    pub dir: PathBuf,
    /// The tree's path as the running system sees it: what compiled code
    /// objects record and what pkg's touched directories start with.
    pub runtime: PathBuf,
    /// The site-packages path as the running system sees it (the tree's,
    /// unless the tree is the standard library).
    pub site_runtime: PathBuf,
    /// With the standard library: the site-packages inside the tree, on
    /// disk. It is never removed, and CPython's own exclusions
    /// (src/python/stdlib.rs) stop at it.
    pub site_packages: Option<PathBuf>,
    /// The root on disk (canonical), when working below one: symlinks
    /// inside the tree resolve inside it too.
    pub root: Option<PathBuf>,
    /// Set when `dir` differs from the path given, to say so in verbose output.
    pub note: Option<String>,
}

impl Location {
    /// Resolves where `site_packages` (as the running system spells it) is
    /// on disk. It must exist and be a
    /// directory. Without a root, a symlinked path is resolved once, here;
    /// with a root, every symlink on the way is resolved inside the root, so
    /// no link can lead outside it.
    pub fn find(site_packages: &Path, root: Option<&Path>) -> Result<Location, Error> {
        let runtime = absolute(site_packages)?;
        let root = match root {
            Some(root) => Some(root.canonicalize().map_err(|e| Error::io(root, e))?),
            None => None,
        };
        let dir = match &root {
            Some(root) => {
                path::resolve_in_root(root, &runtime).map_err(|(path, e)| Error::io(path, e))?
            }
            None => match runtime.canonicalize() {
                Ok(dir) => dir,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::SitePackagesMissing { path: runtime });
                }
                Err(e) => return Err(Error::io(runtime, e)),
            },
        };
        match dir.metadata() {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(Error::NotADirectory { path: dir }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::SitePackagesMissing { path: dir });
            }
            Err(e) => return Err(Error::io(dir, e)),
        }
        let note = (dir != runtime)
            .then(|| format!("working on {} for {}", dir.display(), runtime.display()));
        Ok(Location {
            dir,
            site_runtime: runtime.clone(),
            runtime,
            site_packages: None,
            root,
            note,
        })
    }

    /// Resolves the standard library `stdlib` as [`Location::find`] does
    /// a site-packages: the tree is the whole directory, and
    /// `site_packages` must be inside it, as it is on FreeBSD and in every
    /// CPython built from source (`lib/python3.X/site-packages`); not in
    /// Debian's layout (`dist-packages` elsewhere), which is refused.
    pub fn find_with_stdlib(
        stdlib: &Path,
        site_packages: &Path,
        root: Option<&Path>,
    ) -> Result<Location, Error> {
        // The site-packages first: when the library is gone, so is it, and
        // the error says so in the words it always used.
        let site = Location::find(site_packages, root)?;
        let mut tree = Location::find(stdlib, root)?;
        if path::below(&site.dir, &tree.dir).is_none() {
            return Err(crate::settings::defs::OptionError {
                key: "stdlib".into(),
                problem: format!(
                    "the site-packages {} is not inside the standard library {}: the standard \
                     library is kept only where it holds the site-packages \
                     (lib/pythonX.Y/site-packages); leave stdlib off here",
                    site.runtime.display(),
                    tree.runtime.display()
                ),
            }
            .into());
        }
        tree.site_packages = Some(site.dir);
        tree.site_runtime = site.runtime;
        Ok(tree)
    }

    /// Where the symlink at `path` (on disk, below [`Location::dir`])
    /// leads: below a root, its target resolved inside the root as the
    /// image will see it (an absolute target names a path of the image);
    /// else resolved on this system. `None` when it cannot be resolved.
    pub fn resolve_link(&self, path: &Path) -> Option<PathBuf> {
        match &self.root {
            Some(root) => {
                let image = Path::new("/").join(path.strip_prefix(root).ok()?);
                path::resolve_in_root(root, &image).ok()
            }
            None => path.canonicalize().ok(),
        }
    }

    /// Whether `dir` (absolute, or taken from the working directory) is
    /// this site-packages or below it, spelled for the running system or
    /// on disk. Only the spelling is looked at: `dir` may be gone.
    pub fn contains(&self, dir: &Path) -> bool {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        [&self.runtime, &self.dir].iter().any(|top| {
            dir.strip_prefix(top)
                .is_ok_and(|rel| rel.components().all(|c| matches!(c, Component::Normal(_))))
        })
    }
}

fn absolute(path: &Path) -> Result<PathBuf, Error> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .map_err(|e| Error::io(path, e))
}
