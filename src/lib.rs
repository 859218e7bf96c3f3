//! custseg: Customer Value, RFM and CLV segmentation of transaction tables.
//!
//! The core is pure Rust over Arrow arrays (house style, practice 1); every
//! `use pyo3` lives in [`python`]. Rule ids (I1, P2, CV6, ...) refer to
//! `shared/spec/SEGMENTATION.md`.

// mimalloc gives freed memory back to the system (after `PURGE_DELAY_MS`) and
// scales with rayon's threads; glibc's per-thread arenas keep tens of MB each
// between runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (index 15 of `mi_option_e` in its
/// `mimalloc.h`, v2 and v3; the Rust bindings name no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the process before it goes back to the
/// system: 10 s, as jemalloc (which polars uses) keeps dirty pages by default.
/// mimalloc's own 1 s makes calls a few seconds apart (a notebook cell run
/// again, one period after another) fault in and zero hundreds of MB again:
/// 10-100 ms of system time per 10M-row call on 2 cores.
pub const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

/// Sets mimalloc's purge delay to [`PURGE_DELAY_MS`], unless the user set
/// `MIMALLOC_PURGE_DELAY` (which mimalloc then reads itself). The Python
/// module calls this when it loads.
pub fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option of the allocator in use.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_is_the_option_set() {
        // Option 15 is the purge delay: mimalloc v3's default is 1000 ms.
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(get(), 1000);
            super::tune_allocator();
            assert_eq!(get(), super::PURGE_DELAY_MS);
        }
    }
}

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
