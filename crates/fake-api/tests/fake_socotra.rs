//! Issue 13: the fake Socotra Webhooks API, tested over real HTTP on 127.0.0.1.
//! Every status code, each validation rule, each add/remove rule of the seed, paging over many
//! pages, tenant scoping and permissions, suspension, each fault mode, rate limits, the admin
//! API and its request log, the binary, and a schemathesis conformance run against
//! `openapi/socotra-webhooks.yaml`.

#[path = "support/http.rs"]
mod support;

#[path = "fake_socotra/common.rs"]
mod common;

#[path = "fake_socotra/admin.rs"]
mod admin;
#[path = "fake_socotra/auth.rs"]
mod auth;
#[path = "fake_socotra/binary.rs"]
mod binary;
#[path = "fake_socotra/crud.rs"]
mod crud;
#[path = "fake_socotra/faults.rs"]
mod faults;
#[path = "fake_socotra/pagination.rs"]
mod pagination;
#[path = "fake_socotra/ratelimit.rs"]
mod ratelimit;
#[path = "fake_socotra/semantics.rs"]
mod semantics;
#[path = "fake_socotra/suspension.rs"]
mod suspension;
#[path = "fake_socotra/validation.rs"]
mod validation;
