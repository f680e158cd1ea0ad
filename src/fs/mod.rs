//! File access: directories opened as handles that never follow links, and
//! reading them. Knows nothing of Python.

pub(crate) mod dir;
pub(crate) mod path;
pub(crate) mod trust;
pub(crate) mod walk;
