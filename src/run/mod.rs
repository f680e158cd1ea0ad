//! One run: a [`Request`](request::Request) in, a
//! [`Response`](request::Response) out. Scanning, cleaning and compiling
//! are its steps; the report is what it found and did.

pub(crate) mod clean;
pub(crate) mod compile;
pub(crate) mod each_flavor;
pub(crate) mod engine;
pub mod explain;
pub(crate) mod parallel;
pub(crate) mod prepare;
pub mod report;
pub mod request;
pub(crate) mod scan;
pub(crate) mod update;
