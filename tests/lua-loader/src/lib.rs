//! Nothing: the loader is its tests (tests/core.rs).
