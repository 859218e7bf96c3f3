//! custseg: Customer Value, RFM and CLV segmentation of transaction tables.
//!
//! The core is pure Rust over Arrow arrays (house style, practice 1); every
//! `use pyo3` lives in [`python`]. Rule ids (I1, P2, CV6, ...) refer to
//! `shared/spec/SEGMENTATION.md`.

// mimalloc gives freed memory back to the system promptly and scales with
// rayon's threads; glibc's per-thread arenas keep tens of MB each between runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod btyd;
pub mod cancel;
pub mod clv;
pub mod customer_value;
pub mod error;
pub mod events;
pub mod ingest;
pub mod keys;
pub mod money;
pub mod periods;
pub mod rfm;
pub mod segment;
pub mod special;
pub mod store;
pub mod synthetic;
pub mod tiers;
pub mod timings;

pub mod python;
