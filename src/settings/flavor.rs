//! Python flavors as the ports tree names them (`py39`, `py311`, ...,
//! `py313t` for a free-threaded build), and the facts that follow from a
//! flavor alone, without starting any interpreter.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The oldest CPython this project keeps bytecode for (PEP 3147 caches with
/// a 12-byte header exist since 3.3; the ports tree supports nothing older
/// than 3.6).
pub const OLDEST_MINOR: u8 = 6;

/// The first CPython with a free-threaded build (PEP 703), the oldest the
/// ports tree builds a `pyXYt` flavor for.
pub const OLDEST_FREE_THREADED_MINOR: u8 = 13;

/// A flavor name that is not of the form `pyXY`, or names a Python that
/// pycache does not serve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid flavor \"{flavor}\": {reason}; expected pyXY such as py39 or py311, or py313t for a free-threaded build"
)]
pub struct FlavorError {
    /// The name as given.
    pub flavor: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FlavorError {
    fn new(flavor: &str, reason: &'static str) -> FlavorError {
        FlavorError {
            flavor: flavor.to_string(),
            reason,
        }
    }
}

/// A CPython flavor: `py311` is CPython 3.11, `py313t` the free-threaded
/// build of 3.13.
///
/// A free-threaded flavor has its own interpreter (`python3.13t`) and its
/// own tree (`lib/python3.13t/site-packages`) but the cache tag and magic
/// number of its version (`cpython-313`), as the ports tree's python.mk has
/// it: the tag alone never tells the two trees apart, their paths do.
///
/// Parsing is strict because a flavor becomes paths and file names: `py3`,
/// `py2`, `python311`, `py3x`, `py313tt` or `py312t` are rejected with the
/// expected form shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Flavor {
    major: u8,
    minor: u8,
    free_threaded: bool,
}

impl Flavor {
    /// The flavor of CPython `major.minor`, checked like a parsed name.
    pub fn new(major: u8, minor: u8) -> Result<Flavor, FlavorError> {
        let name = format!("py{major}{minor}");
        if major != 3 {
            return Err(FlavorError::new(&name, "only CPython 3 is supported"));
        }
        if minor < OLDEST_MINOR {
            return Err(FlavorError::new(
                &name,
                "CPython older than 3.6 is not supported",
            ));
        }
        Ok(Flavor {
            major,
            minor,
            free_threaded: false,
        })
    }

    /// The free-threaded flavor of CPython `major.minor` (`py313t`), which
    /// exists from 3.13 on.
    pub fn free_threaded(major: u8, minor: u8) -> Result<Flavor, FlavorError> {
        let flavor = Flavor::new(major, minor)?;
        if minor < OLDEST_FREE_THREADED_MINOR {
            return Err(FlavorError::new(
                &format!("{flavor}t"),
                "free-threaded builds (pyXYt) start at CPython 3.13",
            ));
        }
        Ok(Flavor {
            free_threaded: true,
            ..flavor
        })
    }

    /// Parses a ports flavor name such as `py39`, `py311` or `py313t`.
    pub fn parse(name: &str) -> Result<Flavor, FlavorError> {
        let rest = name
            .strip_prefix("py")
            .ok_or_else(|| FlavorError::new(name, "it does not start with \"py\""))?;
        let (digits, free_threaded) = match rest.strip_suffix('t') {
            Some(digits) => (digits, true),
            None => (rest, false),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FlavorError::new(
                name,
                "\"py\" must be followed by the version digits only (and \"t\" for a free-threaded build)",
            ));
        }
        if digits.len() < 2 {
            return Err(FlavorError::new(name, "it names no minor version"));
        }
        if digits.len() > 3 || digits[1..].starts_with('0') && digits.len() > 2 {
            return Err(FlavorError::new(name, "the version is malformed"));
        }
        let major = digits[..1].parse().expect("one ASCII digit");
        let minor = digits[1..].parse().expect("at most two ASCII digits");
        let flavor = Flavor::new(major, minor)?;
        if !free_threaded {
            return Ok(flavor);
        }
        if minor < OLDEST_FREE_THREADED_MINOR {
            return Err(FlavorError::new(
                name,
                "free-threaded builds (pyXYt) start at CPython 3.13",
            ));
        }
        Ok(Flavor {
            free_threaded: true,
            ..flavor
        })
    }

    /// Major version (always 3).
    pub fn major(self) -> u8 {
        self.major
    }

    /// Minor version: 11 for `py311`.
    pub fn minor(self) -> u8 {
        self.minor
    }

    /// Whether this is a free-threaded build (`py313t`).
    pub fn is_free_threaded(self) -> bool {
        self.free_threaded
    }

    /// `t` for a free-threaded flavor, else empty: what follows the version
    /// in its name, interpreter and library directory.
    fn t(self) -> &'static str {
        if self.free_threaded { "t" } else { "" }
    }

    /// The flavor name, `py311` or `py313t`.
    pub fn name(self) -> String {
        self.to_string()
    }

    /// `3.11` or `3.13t`, as in `PYTHON_VER`.
    pub fn version(self) -> String {
        format!("{}.{}{}", self.major, self.minor, self.t())
    }

    /// `311` or `313t`, as in `PYTHON_SUFFIX`.
    pub fn suffix(self) -> String {
        format!("{}{}{}", self.major, self.minor, self.t())
    }

    /// `python3.11` or `python3.13t`, the interpreter's file name and the
    /// name of its library directory (`PYTHON_VERSION`).
    pub fn python_name(self) -> String {
        format!("python{}", self.version())
    }

    /// `cpython-311`: `sys.implementation.cache_tag` of this CPython, the
    /// same for a free-threaded build (`cpython-313` for `py313t`).
    pub fn cache_tag(self) -> String {
        format!("cpython-{}{}", self.major, self.minor)
    }

    /// `PREFIX/bin/python3.11`.
    pub fn interpreter(self, prefix: &Path) -> PathBuf {
        prefix.join("bin").join(self.python_name())
    }

    /// `PREFIX/lib/python3.11/site-packages` (`PYTHON_SITELIBDIR`).
    pub fn site_packages(self, prefix: &Path) -> PathBuf {
        prefix
            .join("lib")
            .join(self.python_name())
            .join("site-packages")
    }

    /// `PREFIX/lib/python3.11`: the standard library, whose own bytecode
    /// tells the magic number of a version the table does not know.
    pub fn stdlib(self, prefix: &Path) -> PathBuf {
        prefix.join("lib").join(self.python_name())
    }

    /// The magic number of this version's final releases, when the table
    /// knows it (src/bytecode/magic.rs says where each number comes from).
    ///
    /// Pre-releases use other numbers: the interpreter's own
    /// `importlib.util.MAGIC_NUMBER` stays the authority, and the compile
    /// step checks it (see `compile`).
    pub fn magic(self) -> Option<[u8; 4]> {
        crate::bytecode::magic::table(self.major, self.minor)
    }
}

impl FromStr for Flavor {
    type Err = FlavorError;

    fn from_str(s: &str) -> Result<Flavor, FlavorError> {
        Flavor::parse(s)
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "py{}{}{}", self.major, self.minor, self.t())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ports_names() {
        let f = Flavor::parse("py311").unwrap();
        assert_eq!((f.major(), f.minor()), (3, 11));
        assert_eq!(f.version(), "3.11");
        assert_eq!(f.suffix(), "311");
        assert_eq!(f.cache_tag(), "cpython-311");
        assert_eq!(
            f.site_packages(Path::new("/usr/local")),
            Path::new("/usr/local/lib/python3.11/site-packages")
        );
        assert_eq!(
            f.stdlib(Path::new("/usr/local")),
            Path::new("/usr/local/lib/python3.11")
        );
        assert_eq!(
            f.interpreter(Path::new("/usr/local")),
            Path::new("/usr/local/bin/python3.11")
        );
        assert_eq!(Flavor::parse("py39").unwrap().version(), "3.9");
        assert_eq!(Flavor::parse("py36").unwrap().cache_tag(), "cpython-36");
        assert_eq!("py313".parse::<Flavor>().unwrap().to_string(), "py313");
    }

    #[test]
    fn rejects_malformed_names_showing_the_form() {
        for bad in [
            "",
            "py",
            "py3",
            "py2",
            "py27",
            "py35",
            "python311",
            "py3x",
            "PY311",
            "py 311",
            "py3111",
            "py-311",
            "py300",
            "311",
            "py313tt",
            "py39t",
            "py312t",
            "py36t",
            "pyt",
            "py3t",
            "py313T",
            "py3t13",
            "py313t ",
        ] {
            let err = Flavor::parse(bad).unwrap_err().to_string();
            assert!(err.contains("expected pyXY"), "{bad:?}: {err}");
            assert!(err.contains(&format!("{bad:?}")), "{bad:?}: {err}");
        }
    }

    #[test]
    fn free_threaded_flavors_have_their_own_tree_and_the_tag_of_their_version() {
        let f = Flavor::parse("py313t").unwrap();
        assert!(f.is_free_threaded());
        assert_eq!((f.major(), f.minor()), (3, 13));
        assert_eq!(f.name(), "py313t");
        assert_eq!(f.to_string(), "py313t");
        assert_eq!(f.version(), "3.13t");
        assert_eq!(f.suffix(), "313t");
        assert_eq!(f.python_name(), "python3.13t");
        assert_eq!(f.cache_tag(), "cpython-313");
        assert_eq!(f.magic(), Flavor::parse("py313").unwrap().magic());
        assert_eq!(
            f.interpreter(Path::new("/usr/local")),
            Path::new("/usr/local/bin/python3.13t")
        );
        assert_eq!(
            f.site_packages(Path::new("/usr/local")),
            Path::new("/usr/local/lib/python3.13t/site-packages")
        );
        assert_ne!(f, Flavor::parse("py313").unwrap());
        assert_eq!(Flavor::parse("py314t").unwrap().version(), "3.14t");
        assert_eq!(Flavor::free_threaded(3, 13).unwrap(), f);
        let err = Flavor::free_threaded(3, 12).unwrap_err().to_string();
        assert!(err.contains("\"py312t\"") && err.contains("3.13"), "{err}");
        let err = Flavor::parse("py312t").unwrap_err().to_string();
        assert!(err.contains("start at CPython 3.13"), "{err}");
    }

    #[test]
    fn magic_numbers_match_the_reference_table() {
        let m = |v: &str| Flavor::parse(v).unwrap().magic().unwrap();
        assert_eq!(m("py36"), [0x33, 0x0d, 0x0d, 0x0a]);
        assert_eq!(m("py311"), [0xa7, 0x0d, 0x0d, 0x0a]);
        assert_eq!(m("py313"), [0xf3, 0x0d, 0x0d, 0x0a]);
        assert_eq!(m("py314"), [0x2b, 0x0e, 0x0d, 0x0a]);
        assert_eq!(Flavor::parse("py399").unwrap().magic(), None);
    }
}
