#![no_main]
//! libFuzzer driver of [`custseg_fuzz::btyd`] (see fuzz/README.md).
libfuzzer_sys::fuzz_target!(|data: &[u8]| custseg_fuzz::btyd(data));
