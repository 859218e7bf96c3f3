//! The memory allocator: mimalloc, and a way to hand freed memory back to the
//! system at the points where a run's peak is decided and when a call ends.
//!
//! mimalloc scales with rayon's threads and gives freed memory back to the
//! system after its purge delay ([`keep_freed_pages`] sets it to 1 s from the
//! first call on, where mimalloc's own is 10 ms), but only when the thread that
//! freed it allocates again; glibc's per-thread arenas keep tens of MB each between
//! runs. Not with the `system-allocator` feature (scripts/memcheck.sh):
//! valgrind checks the system allocator's blocks, and cannot see inside
//! mimalloc's pages.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands the pages that every thread of the pool freed back to the system now.
///
/// mimalloc returns a thread's freed pages only when that thread allocates
/// again; the workers that freed the interning tables and buffers at the end
/// of the input stay idle until the next pass, so those pages would sit
/// resident under the peak of that pass (which starts with every line held).
/// Measured at 100M shuffled string ids (issue 17's memory bound): ~0.27 GiB
/// less resident at the end of the input, and a peak about 60 MiB lower
/// (4,546-4,589 -> 4,494-4,518 MiB, two runs each).
///
/// Called there under a memory budget only (without one the pass reuses the
/// pages: +75 MiB of peak at 100M rows by date, the pass spared fresh pages).
/// Also called a second after a call from Python that left much memory
/// resident ([`Call::hand_back`]). Runs on every thread of the current pool
/// and on the thread that calls it (the one a call ran on has ended by then:
/// its pages are left to mimalloc as abandoned, for the others to collect).
pub fn release_freed() {
    #[cfg(not(feature = "system-allocator"))]
    {
        rayon::broadcast(|_| {
            // SAFETY: mi_collect only frees what the calling thread's heap no longer
            // uses; it takes no pointer and is safe to call at any time.
            unsafe { libmimalloc_sys::mi_collect(true) }
        });
        // SAFETY: as above.
        unsafe { libmimalloc_sys::mi_collect(true) }
    }
}

/// The process's resident memory in bytes: Linux's `VmRSS`; elsewhere what
/// mimalloc reads from the system (on Linux mimalloc gives its committed bytes
/// instead, which stay counted after a purge); `None` when neither says.
pub fn resident() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib << 10)
    }
    #[cfg(all(not(target_os = "linux"), not(feature = "system-allocator")))]
    {
        let mut rss = 0usize;
        // SAFETY: every pointer is either null (not asked for) or points to a live
        // usize that mi_process_info writes once.
        unsafe {
            libmimalloc_sys::mi_process_info(
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut rss,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        (rss > 0).then_some(rss)
    }
    #[cfg(all(not(target_os = "linux"), feature = "system-allocator"))]
    None
}

/// Resident memory a call may leave on top of what it started with: above it,
/// [`release_freed`]. Handing back costs a broadcast to the pool and a purge (a
/// 1,000-row call took 4.4 ms instead of 2.2 ms when every call did it), and
/// the next call touches fresh pages again; below this, keeping is cheaper.
pub const KEEP_AFTER_A_CALL: usize = 64 << 20;

/// How long a call's freed memory stays with the process after the call ends
/// (on rayon's global pool), for a next call to reuse: the purge delay
/// [`keep_freed_pages`] sets. Pages a call takes fresh from the system are zeroed by the kernel
/// first; at 10M rows that was 6-15% of a call's samples (`perf`, three profiles), and a
/// second call that found the first one's pages took 0.28-0.30 s instead of
/// 0.33-0.34 s (10M int ids by date, `fast` build). A notebook that calls once
/// and goes on gets the memory back a second later.
pub const HAND_BACK_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// mimalloc v2's `mi_option_purge_delay` (its place in `mi_option_e`,
/// `include/mimalloc.h`; `libmimalloc-sys` names no constant for it).
#[cfg(not(feature = "system-allocator"))]
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets mimalloc's purge delay, the time freed pages stay with the process
/// before they go back to the system, to [`HAND_BACK_AFTER`] (mimalloc v2's
/// default is 10 ms), once, unless `MIMALLOC_PURGE_DELAY` says otherwise.
///
/// With 10 ms, the pages a call freed (its partitions, tables and facts) had
/// gone back before the next call asked for them, which then took them fresh,
/// zeroed by the kernel. Calls 3-6 of a process (10M `C0000042` rows by date,
/// `fast` build, `MIMALLOC_PURGE_DELAY` set, two rounds): 11,000-18,000 page
/// faults and 0.07-0.14 s of system time a call with 10 ms, 1,200-4,200 and
/// 0.01-0.05 s with 1 s; the calls took 0.41-0.53 s and 0.35-0.38 s there, but
/// an A/B of builds an hour later saw no difference above the noise (0.36-0.55 s
/// both). The cost is memory that a call frees and does not reuse at once
/// staying up to a second longer: the peak at 100M rows by date rose from
/// 3,493-3,501 to 3,807-3,860 MiB (1.52x -> 1.66x the input's 2,302 MiB); a call
/// that left much memory still hands it back a second after it ends
/// ([`Call::hand_back`]).
pub fn keep_freed_pages() {
    #[cfg(not(feature = "system-allocator"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
                let ms = HAND_BACK_AFTER.as_millis() as std::os::raw::c_long;
                // SAFETY: mi_option_set stores one option's value; any value is valid.
                unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, ms) }
            }
        });
    }
}

/// Calls started, and calls running: a deferred hand-back is skipped when
/// another call started since (that call will schedule its own).
static STARTED: AtomicU64 = AtomicU64::new(0);
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// A call in progress, from [`Call::start`] until dropped (a panic included).
pub struct Call {
    resident_before: Option<usize>,
}

impl Call {
    /// Counts a call as started and running, and notes the memory resident now.
    pub fn start() -> Self {
        keep_freed_pages();
        STARTED.fetch_add(1, Relaxed);
        RUNNING.fetch_add(1, Relaxed);
        Call {
            resident_before: resident(),
        }
    }

    /// At the end of the call, when it left more than [`KEEP_AFTER_A_CALL`] on
    /// top of what it started with (its freed memory, its result): the pool
    /// hands its freed memory back ([`release_freed`]), at once when the call
    /// ran on a pool of its own (`own_pool`: its threads end with the call),
    /// else [`HAND_BACK_AFTER`] later unless another call started meanwhile.
    pub fn hand_back(&self, own_pool: bool) {
        let grew = match (self.resident_before, resident()) {
            (Some(before), Some(now)) => now.saturating_sub(before),
            _ => return,
        };
        if grew <= KEEP_AFTER_A_CALL {
            return;
        }
        if own_pool {
            release_freed();
            return;
        }
        let started = STARTED.load(Relaxed);
        let later = std::thread::Builder::new()
            .name("custseg-hand-back".into())
            .spawn(move || {
                std::thread::sleep(HAND_BACK_AFTER);
                // A call may start right after this check: mi_collect is safe then too,
                // it only hands back pages no heap uses.
                if RUNNING.load(Relaxed) == 0 && STARTED.load(Relaxed) == started {
                    release_freed();
                }
            });
        if later.is_err() {
            release_freed();
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(feature = "system-allocator"))]
    #[test]
    fn the_purge_delay_is_the_option_mimalloc_reads() {
        // Option 15 is mimalloc v2's purge delay: 10 ms by default, or 1,000 when
        // another test's Call::start set it first (so v3, whose default is 1,000,
        // would pass too); another option (defaults 0, 1, -1 ...) fails here.
        // SAFETY: mi_option_get reads one option.
        let get = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert!(get() == 10 || get() == 1000, "{}", get());
            keep_freed_pages();
            assert_eq!(get(), 1000);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn resident_memory_follows_what_is_touched() {
        let before = resident().expect("VmRSS on Linux");
        let touched = vec![1u8; 96 << 20];
        let during = resident().expect("VmRSS on Linux");
        assert!(during >= before + (64 << 20), "{before} -> {during}");
        drop(std::hint::black_box(touched));
        // Whatever it hands back, now or later, the end of a call is safe and returns.
        let call = Call::start();
        call.hand_back(true);
        call.hand_back(false);
        drop(call);
        Call {
            resident_before: None,
        }
        .hand_back(false);
    }
}
