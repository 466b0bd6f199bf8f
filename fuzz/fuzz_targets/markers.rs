#![no_main]
// See `kg::fuzz::markers` for what this target reads.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kg::fuzz::markers(data));
