//! `hookwright-testenv`: start a real etcd + kube-apiserver on loopback for scripts and demos.
//!
//! Prints one JSON line `{"kubeconfig": ..., "server": ..., "pids": [...]}` on stdout once
//! `/readyz` answers, then runs until SIGINT/SIGTERM, and tears everything down. If this
//! process is killed outright, the kernel kills etcd and kube-apiserver with it.
use hookwright_testenv::ControlPlane;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let cp = ControlPlane::start().await?;
    let line = serde_json::json!({
        "kubeconfig": cp.kubeconfig_path(),
        "server": cp.server(),
        "dir": cp.dir(),
        "pids": cp.pids(),
    });
    println!("{line}");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    drop(cp);
    Ok(())
}
