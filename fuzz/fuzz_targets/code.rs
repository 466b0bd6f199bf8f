#![no_main]
// See `kg::fuzz::code` for what this target reads.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kg::fuzz::code(data));
