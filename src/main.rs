//! The `tessera` command. Everything, the command line included, lives in the library
//! (`tessera::cli`).

use std::process::ExitCode;

/// jemalloc instead of glibc's malloc: a third of the worker's time went to glibc's allocator
/// under load; with jemalloc the in-memory store serves ~28% more turns with a lower p99
/// (docs/PERFORMANCE.md). mimalloc was faster still but had a 5-10 ms p99 tail.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    tessera::cli::main()
}
