//! Fake provider APIs for hookwright's tests, demo and benchmarks, over real HTTP: `mendix` is
//! the Mendix Webhooks API (auth and scopes, validation, pagination, rate limits, faults,
//! signed deliveries, an admin API). A crate of its own so that the operator's builds contain no
//! fake code (`cargo tree -p hookwright -e normal` does not list it). See docs/fake-api.md.
mod common;
pub mod mendix;
pub mod socotra;
