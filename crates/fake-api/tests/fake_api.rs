//! Issue 4: the fake Mendix Webhooks API, tested over real HTTP on 127.0.0.1.
//! Every status code, each validation rule, pagination under concurrent inserts, rate limiting,
//! each fault mode, signed delivery checked by independent implementations, the binary, and a
//! schemathesis conformance run against `openapi/mendix-webhooks.yaml`.

#[path = "support/http.rs"]
mod support;

#[path = "fake_api/common.rs"]
mod common;

#[path = "fake_api/admin.rs"]
mod admin;
#[path = "fake_api/binary.rs"]
mod binary;
#[path = "fake_api/crud.rs"]
mod crud;
#[path = "fake_api/delivery.rs"]
mod delivery;
#[path = "fake_api/faults.rs"]
mod faults;
#[path = "fake_api/pagination.rs"]
mod pagination;
#[path = "fake_api/ratelimit.rs"]
mod ratelimit;
#[path = "fake_api/validation.rs"]
mod validation;
