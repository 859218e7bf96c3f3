#![no_main]
//! libFuzzer driver of [`custseg_fuzz::text`] (see fuzz/README.md).
libfuzzer_sys::fuzz_target!(|data: &[u8]| custseg_fuzz::text(data));
