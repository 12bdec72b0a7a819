//! End-to-end tests: a real kube-apiserver + etcd, the real `hookwright` binary, and the fake
//! Mendix API over real HTTP. Each test has its own namespace and its own fake server, so
//! request counts are per test; one operator process serves all tests of this binary.
mod e2e {
    mod deletion;
    mod delivery;
    mod drift;
    mod errors;
    pub mod harness;
    mod hostile;
    mod import;
    mod leaks;
    mod lifecycle;
    mod ownership;
    mod providers;
    mod secrets;
    mod socotra;
}
