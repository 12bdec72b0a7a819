//! The Helm chart (charts/hookwright): lint and render checks without a cluster, then a real
//! `helm install` into this test binary's own control plane, with the operator binary running
//! on the chart's ServiceAccount token to prove its RBAC is sufficient, and the same token
//! probed to prove it is not excessive. Also checks the Argo CD health script on real objects,
//! the container image of `make image` (run from its own root filesystem) and what a release
//! publishes (versions, `helm package`, pushes to a loopback OCI registry).
mod chart {
    mod image;
    mod install;
    mod least_privilege;
    mod release;
    mod render;
    pub mod support;
}
