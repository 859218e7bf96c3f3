//! custseg: Customer Value, RFM and CLV segmentation of transaction tables.
//!
//! The core is pure Rust over Arrow arrays (house style, practice 1); pyo3
//! and every `use pyo3` live in [`python`], behind the `python` feature (on
//! for the wheel). Rule ids (I1, P2, CV6, ...) refer to `docs/rules.md`;
//! `docs/ARCHITECTURE.md` maps each rule to the one function that implements
//! it and draws the modules and a call's data flow:
//!
//! - input: [`ingest`] (column conversion, I1, I4, I6) with [`keys`] (dense
//!   ids) into the [`store`] (lines in runs or hashed partitions, spilled to
//!   disk past a budget), through the leaf types of [`lines`];
//! - the shared per-customer pass: [`engine`] (I2, I3, P2 and the facts of
//!   every rule);
//! - the rules: [`customer_value`] (section 2), [`rfm`] (section 3), [`clv`]
//!   (CLV1-CLV3), [`btyd`] (CLV4), [`tables`] (CLV5, segment summaries), with
//!   the shared counting of [`tiers`] (CV6, R2, CLV2) and [`periods`] (P1, P2);
//! - [`segment`] composes them into one output; [`output`] builds Arrow columns.

pub mod alloc;
pub mod analyses;
pub mod btyd;
pub mod cancel;
pub mod clv;
pub mod customer_value;
pub mod distributed;
pub mod engine;
pub mod error;
pub mod history;
pub mod ingest;
pub mod keys;
pub mod lines;
pub mod money;
pub mod output;
pub mod periods;
pub mod ranks;
pub mod rfm;
pub(crate) mod scatter;
pub mod segment;
pub mod special;
pub mod store;
pub mod synthetic;
pub mod tables;
pub mod tiers;
pub mod timings;

#[cfg(feature = "python")]
pub mod python;
