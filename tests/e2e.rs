//! End-to-end tests: a real kube-apiserver + etcd, the real `hookwright` binary, and the fake
//! Mendix API over real HTTP. Each test has its own namespace and its own fake server, so
//! request counts are per test; one operator process serves all tests of this binary.
mod e2e {
    pub mod harness;
    mod lifecycle;
    mod secrets;
    mod drift;
    mod deletion;
    mod errors;
}
