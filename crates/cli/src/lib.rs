//! Library side of the `swarmlb` binary: the benchmark workloads, shared by
//! `swarmlb bench` and `cargo bench`.

pub mod bench;
