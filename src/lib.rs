//! hookwright: a Kubernetes operator that keeps SaaS webhook subscriptions equal to
//! `Webhook` custom resources, plus the tools receivers need to verify signed deliveries.
pub mod controller;
pub mod crd;
pub mod fake;
pub mod leader;
pub mod metrics;
pub mod providers;
pub mod secrets;
pub mod server;
pub mod signature;
pub mod tls;
