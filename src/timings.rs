//! Phase timings on standard error, for profiling runs: set `CUSTSEG_TIMINGS=1`
//! (like `POLARS_VERBOSE`). Off by default; one atomic load per phase when off.
//! Each lap also shows the resident memory when it ends (Linux), to find the
//! phase of a peak.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("CUSTSEG_TIMINGS").is_some_and(|v| v != "0"))
}

/// A stopwatch that prints the time since its last lap, with a phase name.
pub struct Phases(Option<Instant>);

impl Phases {
    /// Starts the stopwatch (does nothing unless `CUSTSEG_TIMINGS` is set).
    pub fn start() -> Self {
        Phases(enabled().then(Instant::now))
    }

    /// Prints `custseg: <name> <ms> ms [<rss> MiB]` and restarts.
    pub fn lap(&mut self, name: &str) {
        if let Some(t) = self.0.as_mut() {
            let rss = resident_mib().map_or(String::new(), |m| format!(" {m:8} MiB"));
            eprintln!(
                "custseg: {name:<24} {:8.1} ms{rss}",
                t.elapsed().as_secs_f64() * 1e3
            );
            *t = Instant::now();
        }
    }
}

/// The process's resident memory now, from `VmRSS` in `/proc/self/status`
/// (Linux only; in kB there, whatever the page size).
fn resident_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
