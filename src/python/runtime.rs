//! Extract, then detach (house style, practice 5): the computation runs on a
//! worker thread with the GIL released, on a rayon pool, while the calling
//! thread watches for Ctrl-C and cancels it cooperatively.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::cancel::Cancel;
use crate::error::{CoreError, Result};

/// Set in a forked child: rayon's global pool does not survive `fork()`
/// (Airflow forks its task runners), so the child builds pools of its own.
static FORKED: AtomicBool = AtomicBool::new(false);

/// Called by `os.register_at_fork(after_in_child=...)`.
#[pyfunction]
pub fn _after_fork_in_child() {
    FORKED.store(true, Ordering::Relaxed);
}

/// Raises the error an internal bug raises, through the real paths, so the
/// tests can check what a user would see: `"panic"` panics in the worker,
/// `"internal"` returns an internal error from it.
#[pyfunction]
pub fn _internal_error_for_tests(py: Python<'_>, kind: &str) -> PyResult<()> {
    let kind = kind.to_string();
    run(py, Some(1), move |_| match kind.as_str() {
        "panic" => panic!("a test asked for a panic"),
        _ => Err(CoreError::Internal(
            "a test asked for an internal error".into(),
        )),
    })
}

/// Runs `f` without the GIL on `threads` threads (all cores when `None`),
/// interruptible with Ctrl-C; maps core errors to Python exceptions and a
/// panic to an internal error.
pub fn run<T, F>(py: Python<'_>, threads: Option<i64>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Cancel) -> Result<T> + Send,
{
    let pool = pool(threads)?;
    let cancel = Cancel::new();
    let call = crate::alloc::Call::start();
    let mut interrupt: Option<PyErr> = None;
    let outcome = py.detach(|| {
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel();
            let (cancel, pool, call) = (&cancel, pool.as_ref(), &call);
            s.spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match pool {
                    Some(p) => p.install(|| handing_back(call, true, f(cancel))),
                    None => handing_back(call, false, f(cancel)),
                }));
                let _ = tx.send(r);
            });
            wait(&rx, cancel, &mut interrupt)
        })
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    match outcome {
        Some(Ok(r)) => r.map_err(PyErr::from),
        Some(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(CoreError::Internal(format!("a worker panicked: {what}")).into())
        }
        None => Err(CoreError::Internal("the worker thread ended without a result".into()).into()),
    }
}

/// `result`, once the call has handed the memory its pool freed back to the
/// system, or arranged to ([`crate::alloc::Call::hand_back`]), when it left
/// much of it.
///
/// mimalloc hands freed pages back only when the thread that freed them
/// allocates again, after its purge delay: a call's lines, tables and facts,
/// freed as it ends, stayed resident until the next call (406 MiB after a
/// 10M-row call whose result was 40 MiB; 167 MiB a second later now, the
/// result and the input's pages it read included). A notebook that calls once
/// and goes on with pandas would hold them for nothing; one that calls again
/// within the second reuses them.
fn handing_back<T>(call: &crate::alloc::Call, own_pool: bool, result: T) -> T {
    call.hand_back(own_pool);
    result
}

/// A pool of `threads` threads, or of all cores in a forked child; `None`:
/// rayon's global pool.
fn pool(threads: Option<i64>) -> PyResult<Option<rayon::ThreadPool>> {
    let threads = match threads {
        Some(n) if !(1..=4096).contains(&n) => {
            return Err(CoreError::Config(format!(
                "threads must be 1 to 4096 (or None for all cores), got {n}"
            ))
            .into())
        }
        n => n.map(|n| n as usize),
    };
    if threads.is_none() && !FORKED.load(Ordering::Relaxed) {
        return Ok(None);
    }
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        b = b.num_threads(n);
    }
    b.build()
        .map(Some)
        .map_err(|e| PyRuntimeError::new_err(format!("could not start threads: {e}")))
}

/// Waits for the worker's result, checking for Ctrl-C every 50 ms: the first
/// interrupt is kept in `interrupt` and cancels the run, which then ends.
fn wait<R>(rx: &mpsc::Receiver<R>, cancel: &Cancel, interrupt: &mut Option<PyErr>) -> Option<R> {
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(r) => return Some(r),
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(mpsc::RecvTimeoutError::Timeout) if interrupt.is_none() => {
                if let Err(e) = Python::attach(|py| py.check_signals()) {
                    *interrupt = Some(e);
                    cancel.cancel();
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}
