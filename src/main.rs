//! The `kg` binary: all the work is in the library; see `cli`.

// mimalloc, for the C and C++ code as well ("override"): the bulk load makes millions of small
// allocations on several threads, where glibc's allocator spent a fifth of the time. Only
// replacing Rust's allocator is not enough: oxigraph frees some error messages that RocksDB
// allocated, and with two allocators that crashed a reader whose store was just replaced.
#[cfg(feature = "rocksdb")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kg::cli::main()
}
