//! What the fakes share: connections a handler can cut, request counters and log, faults, rate
//! limits, tokens, the gate in front of the public API, the shared admin calls, serving and the
//! state file. Each fake (`mendix`, `socotra`) adds its API, its model and its admin calls.
use std::sync::{Mutex, MutexGuard, PoisonError};

pub(crate) mod admin;
pub(crate) mod conn;
pub mod counters;
pub mod errors;
pub mod faults;
pub(crate) mod gate;
pub mod ratelimit;
pub mod request_log;
pub(crate) mod runtime;
pub(crate) mod server;
pub(crate) mod statefile;
pub mod store;
pub mod tokens;
pub mod uuid_serde;

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
