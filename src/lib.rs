//! hookwright: a Kubernetes operator that keeps SaaS webhook subscriptions equal to
//! `Webhook` custom resources, plus the tools receivers need to verify signed deliveries.
// No panic reachable from network input or a Kubernetes object (issue 12): these lints keep
// unwrap/expect/panic/indexing out of product code; tests may use them.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
pub mod backoff;
pub mod controller;
pub mod crd;
pub mod import;
pub mod leader;
pub mod metrics;
pub mod providers;
pub mod secrets;
pub mod server;
pub mod signature;
pub mod tls;
