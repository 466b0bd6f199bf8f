//! The `kg` binary: all the work is in the library; see `cli`.

// mimalloc, for the C and C++ code as well ("override"): the bulk load makes millions of small
// allocations on several threads, where glibc's allocator spent a fifth of the time. Only
// replacing Rust's allocator is not enough: oxigraph frees some error messages that RocksDB
// allocated, and with two allocators that crashed a reader whose store was just replaced.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (mimalloc.h, v2).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Give freed memory back to the system at once rather than 10 ms later: the bulk loader
    // frees and takes whole batches, and with the delay a full build of denoland/deno peaked at
    // 1.05 GB instead of 0.74 GB, for no measurable time.
    // SAFETY: sets one of the allocator's options, which mimalloc allows at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    kg::cli::main()
}
