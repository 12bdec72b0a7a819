//! Fake provider APIs for hookwright's tests, demo and benchmarks, over real HTTP: `mendix` is
//! the Mendix Webhooks API (auth and scopes, validation, pagination, rate limits, faults,
//! signed deliveries, an admin API), `socotra` the Socotra Webhooks API (bearer tokens with
//! permissions and tenants, validation, add/remove updates, offset paging, suspension, the same
//! rate limits and faults, an admin API with the request bodies). What they share is in
//! `common`. A crate of its own so that the operator's builds contain no fake code
//! (`cargo tree -p hookwright -e normal` does not list it). See docs/fake-api.md and
//! docs/fake-socotra.md.
mod common;
pub mod mendix;
pub mod socotra;
