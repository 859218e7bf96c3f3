//! Cooperative cancellation: the binding layer sets the flag on Ctrl-C, the
//! core checks it between batches and blocks of customers.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{CoreError, Result};

/// A flag shared between the caller (who may cancel) and the computation.
#[derive(Debug, Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self(AtomicBool::new(false))
    }

    /// Ask the computation to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// `Err(Cancelled)` once [`Cancel::cancel`] was called.
    pub fn check(&self) -> Result<()> {
        if self.0.load(Ordering::Relaxed) {
            Err(CoreError::Cancelled)
        } else {
            Ok(())
        }
    }
}
