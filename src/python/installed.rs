//! Which CPython flavors are installed under a prefix, for jobs on every
//! flavor at once (`pycache check --all`).
//!
//! A flavor is installed when its interpreter `PREFIX/bin/python3.X[t]` or
//! its tree `PREFIX/lib/python3.X[t]/site-packages` is there. The tree
//! alone counts: when a Python package is removed, packages installed for
//! it may leave their files and bytecode behind, and that bytecode still
//! has to be cleaned. Names that are not a flavor's (`python3`,
//! `python3.11-config`, `python3.5`) are not flavors and are skipped.

use std::ffi::OsStr;
use std::io;
use std::path::Path;

use crate::error::Error;
use crate::settings::flavor::Flavor;

/// The flavors installed under `prefix`, sorted (`py39`, `py311`, `py313`,
/// `py313t`) and each once. A missing `bin` or `lib` directory is no
/// error (nothing is installed there); one that cannot be read is.
pub fn installed(prefix: &Path) -> Result<Vec<Flavor>, Error> {
    let mut found = Vec::new();
    for (dir, is_installed) in [
        ("bin", interpreter as fn(&Path) -> bool),
        ("lib", tree as fn(&Path) -> bool),
    ] {
        let dir = prefix.join(dir);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            if let Some(flavor) = flavor_of(&entry.file_name()) {
                if is_installed(&entry.path()) {
                    found.push(flavor);
                }
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

/// An interpreter is a file (a link to one counts: `python3.13t` may point
/// at a build elsewhere); a dangling link is no interpreter.
fn interpreter(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// A tree is a `site-packages` directory in `lib/python3.X`.
fn tree(path: &Path) -> bool {
    std::fs::metadata(path.join("site-packages")).is_ok_and(|m| m.is_dir())
}

/// The flavor whose interpreter and library directory are named `name`:
/// `python3.11` is `py311`, `python3.13t` is `py313t`.
fn flavor_of(name: &OsStr) -> Option<Flavor> {
    let version = name.to_str()?.strip_prefix("python3.")?;
    let digits = version.strip_suffix('t').unwrap_or(version);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Flavor::parse is as strict as for a flavor given by hand: `3.011`
    // and `3.12t` are not flavors.
    Flavor::parse(&format!("py3{version}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_interpreters_and_library_directories() {
        let f = |name: &str| flavor_of(OsStr::new(name)).map(|f| f.to_string());
        assert_eq!(f("python3.11").as_deref(), Some("py311"));
        assert_eq!(f("python3.9").as_deref(), Some("py39"));
        assert_eq!(f("python3.13t").as_deref(), Some("py313t"));
        for not_a_flavor in [
            "python3",
            "python",
            "python3.11-config",
            "python3.11m",
            "python3.12t",
            "python3.5",
            "python3.",
            "python3.t",
            "python3.011",
            "python2.7",
            "python3.13tt",
            "pydoc3.11",
        ] {
            assert_eq!(f(not_a_flavor), None, "{not_a_flavor}");
        }
    }
}
