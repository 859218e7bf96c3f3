//! The memory allocator: mimalloc, and a way to hand freed memory back to the
//! system at the points where a run's peak is decided and when a call ends.
//!
//! mimalloc scales with rayon's threads and gives freed memory back to the
//! system after its purge delay (1 s), but only when the thread that freed it
//! allocates again; glibc's per-thread arenas keep tens of MB each between
//! runs. Not with the `system-allocator` feature (scripts/memcheck.sh):
//! valgrind checks the system allocator's blocks, and cannot see inside
//! mimalloc's pages.

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
/// Also called at the end of a call from Python that left much memory
/// resident ([`hand_back_after_call`]), on the pool that ran it and on the
/// calling thread, which may not be one of its workers.
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

/// At the end of a call that started with `resident_before` bytes resident:
/// when it left more than [`KEEP_AFTER_A_CALL`] on top (its freed memory, its
/// result), the pool hands its freed memory back ([`release_freed`]).
pub fn hand_back_after_call(resident_before: Option<usize>) {
    let grew = match (resident_before, resident()) {
        (Some(before), Some(now)) => now.saturating_sub(before),
        _ => return,
    };
    if grew > KEEP_AFTER_A_CALL {
        release_freed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn resident_memory_follows_what_is_touched() {
        let before = resident().expect("VmRSS on Linux");
        let touched = vec![1u8; 96 << 20];
        let during = resident().expect("VmRSS on Linux");
        assert!(during >= before + (64 << 20), "{before} -> {during}");
        drop(std::hint::black_box(touched));
        // Whatever it hands back, a call at the end of a run is safe and returns.
        hand_back_after_call(Some(before));
        hand_back_after_call(None);
    }
}
