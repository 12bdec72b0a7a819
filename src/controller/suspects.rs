//! Webhooks the drift sweep wants read back: marked by the sweep (`drift_sweep.rs`) when a
//! listing differs from the spec, taken by the next reconcile of the object.
use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// Webhooks whose next reconcile must read the remote webhook back (set by the sweeper, taken
/// by the reconcile).
#[derive(Default)]
pub struct Suspects(Mutex<HashSet<String>>);

impl Suspects {
    pub fn mark(&self, uid: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(uid.to_string());
    }

    /// Whether `uid` was marked; unmarks it.
    pub fn take(&self, uid: &str) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspects_are_taken_once() {
        let s = Suspects::default();
        s.mark("u");
        assert!(s.take("u") && !s.take("u"));
    }
}
