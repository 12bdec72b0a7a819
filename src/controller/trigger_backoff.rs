//! The Controller's backoff over its trigger streams. Each watch stream already backs off on
//! its own errors (`default_backoff`, reset by that watch's own success); kube-runtime's
//! default would add one more exponential backoff shared by all watches, which every 410 or
//! connection error of any watch doubles and which a relist of unchanged objects (filtered out
//! by the predicates) never resets. After an apiserver restart it kept the operator blind to
//! edits, deletes and new objects for 40–80 s (tests/control_plane_restart.rs). A short
//! constant pause between error items is enough on top of the per-watch backoff.
use std::time::Duration;

use kube::runtime::utils::Backoff;

/// The same short pause after every error item of the merged trigger stream.
#[derive(Debug, Clone, Copy)]
pub struct Constant(pub Duration);

impl Iterator for Constant {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        Some(self.0)
    }
}

impl Backoff for Constant {
    fn reset(&mut self) {}
}
