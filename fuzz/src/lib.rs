//! The bodies of custseg's fuzz targets (issue 18, item 1). Each takes the
//! fuzzer's bytes, builds a structured case from them (`arbitrary`), runs the
//! core and checks what must hold; a panic is a finding. The libFuzzer
//! drivers in `fuzz_targets/` and the corpus replay in `tests/replay.rs`
//! both call these, so the kept corpora are replayed by `cargo test` on
//! stable Rust.

mod btyd_target;
mod ingest;
mod interning_target;
mod periods_target;
mod table;
mod text_target;

/// Column conversion, ingestion and the segmentations on random tables.
pub fn ingest(data: &[u8]) {
    ingest::run(data)
}

/// String and integer customer ids interned into dense ids.
pub fn interning(data: &[u8]) {
    interning_target::run(data)
}

/// Period calendars (P1) and explicit boundaries.
pub fn periods(data: &[u8]) {
    periods_target::run(data)
}

/// Dates and decimal amounts written as text (I1, I6).
pub fn text(data: &[u8]) {
    text_target::run(data)
}

/// BTYD log-likelihoods, predictions and fits at extreme parameters (CLV4).
pub fn btyd(data: &[u8]) {
    btyd_target::run(data)
}

/// A target's body: the fuzzer's bytes in, a panic on a finding.
pub type Body = fn(&[u8]);

/// The targets by name, for the replay.
pub const TARGETS: [(&str, Body); 5] = [
    ("ingest", ingest),
    ("interning", interning),
    ("periods", periods),
    ("text", text),
    ("btyd", btyd),
];
