//! One run: a [`Request`](request::Request) in, a
//! [`Response`](request::Response) out. Scanning, cleaning and compiling
//! are its steps; the report is what it found and did.

pub(crate) mod clean;
pub(crate) mod compile;
pub(crate) mod engine;
pub mod explain;
pub(crate) mod parallel;
pub mod report;
pub mod request;
pub(crate) mod scan;
pub mod serialize;
pub mod trigger;
pub mod wire;
