//! `pycache config`: the settings in effect for a run, each with where it
//! comes from, as the file would hold them or as JSON.

use std::path::PathBuf;

use crate::settings::config::{ConfigError, Loaded, Source};
use crate::settings::defs::OPTIONS;
use crate::settings::flavor::Flavor;
use crate::settings::options::Options;
use crate::settings::resolve::{Origin, resolve};
use crate::settings::ucl::{self, Ucl};

/// The settings in effect for a run: what `pycache config` prints.
#[derive(Clone, Debug)]
pub struct Effective {
    /// The file looked for (`None`: `--no-config`).
    pub sought: Option<PathBuf>,
    /// The file read, if any.
    pub file: Option<PathBuf>,
    /// The flavor whose section counts, if known.
    pub flavor: Option<Flavor>,
    /// Each key of the file: its value and where it comes from.
    pub settings: Vec<(&'static str, Ucl, Origin)>,
}

impl Effective {
    /// The settings in effect for `options`: the file applied for
    /// `flavor` (the one they select; the caller asks an interpreter given
    /// alone). A file that cannot be used is the error here.
    pub fn of(options: &Options, flavor: Option<Flavor>) -> Result<Effective, ConfigError> {
        let loaded = Loaded::read(options);
        if let Some(e) = loaded.error() {
            return Err(e.clone());
        }
        let sought = match &loaded.source {
            Source::File { path, .. } => Some(path.clone()),
            Source::None => None,
        };
        let (settings, origins) = resolve(options, &loaded.for_flavor(flavor));
        let settings = origins
            .into_iter()
            .map(|(key, origin)| {
                let def = OPTIONS.iter().find(|d| d.key == key).expect("a known key");
                let show = def.show.expect("a key of the file");
                (key, show(&settings), origin)
            })
            .collect();
        Ok(Effective {
            sought,
            file: loaded.file(),
            flavor,
            settings,
        })
    }

    /// The settings as a file would hold them, each commented with where
    /// it comes from, after a line naming the file.
    pub fn render(&self) -> String {
        let file = match (&self.file, &self.sought) {
            (Some(path), _) => path.display().to_string(),
            (None, Some(path)) => format!("{}: not present, nothing read", path.display()),
            (None, None) => "no configuration file read (no_config)".to_string(),
        };
        let section = match self.flavor {
            Some(flavor) => format!(", flavor {flavor}"),
            None => String::new(),
        };
        let mut out = format!("# {file}{section}\n");
        for (key, value, origin) in &self.settings {
            let line = format!("{key} = {};", ucl::write_value(value));
            out.push_str(&format!("{line:<32} # {origin}\n"));
        }
        out
    }

    /// The settings as JSON: `{"schema": 1, "file": PATH|null, "flavor":
    /// "py311"|null, "settings": {KEY: {"value": V, "from": ORIGIN}}}`, or
    /// with `key` only `{"schema", "file", "flavor", "key", "value",
    /// "from"}`.
    pub fn to_json(&self, key: Option<&str>) -> String {
        use serde_json::{Value as Json, json};
        let file = self.file.as_ref().map(|p| p.to_string_lossy().into_owned());
        let flavor = self.flavor.map(|f| f.name());
        let mut settings = serde_json::Map::new();
        for (k, value, origin) in &self.settings {
            let one = json!({"value": ucl_json(value), "from": origin.to_string()});
            if key == Some(*k) {
                let mut out = json!({"schema": 1, "file": file, "flavor": flavor, "key": k});
                if let (Json::Object(out), Json::Object(one)) = (&mut out, one) {
                    out.extend(one);
                }
                return out.to_string();
            }
            settings.insert(k.to_string(), one);
        }
        json!({"schema": 1, "file": file, "flavor": flavor, "settings": settings}).to_string()
    }

    /// One setting's value as `pycache config KEY` prints it: a scalar as
    /// it is, an array one element per line.
    pub fn value(&self, key: &str) -> Option<String> {
        let (_, value, _) = self.settings.iter().find(|(k, _, _)| *k == key)?;
        let plain = |v: &Ucl| match v {
            Ucl::Str(s) => s.clone(),
            other => ucl::write_value(other),
        };
        Some(match value {
            Ucl::Array(items) => items
                .iter()
                .map(|n| plain(&n.value) + "\n")
                .collect::<String>(),
            other => plain(other) + "\n",
        })
    }
}

fn ucl_json(value: &Ucl) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Ucl::Int(n) => Json::from(*n),
        Ucl::Float(n) => Json::from(*n),
        Ucl::Bool(b) => Json::from(*b),
        Ucl::Str(s) => Json::from(s.as_str()),
        Ucl::Array(items) => Json::Array(items.iter().map(|n| ucl_json(&n.value)).collect()),
        Ucl::Object(members) => Json::Object(
            members
                .iter()
                .map(|(k, n)| (k.clone(), ucl_json(&n.value)))
                .collect(),
        ),
    }
}
