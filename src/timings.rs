//! Phase timings on standard error, for profiling runs: set `CUSTSEG_TIMINGS=1`
//! (like `POLARS_VERBOSE`). Off by default; one atomic load per phase when off.

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

    /// Prints `custseg: <name> <ms> ms` and restarts.
    pub fn lap(&mut self, name: &str) {
        if let Some(t) = self.0.as_mut() {
            eprintln!(
                "custseg: {name:<24} {:8.1} ms",
                t.elapsed().as_secs_f64() * 1e3
            );
            *t = Instant::now();
        }
    }
}
