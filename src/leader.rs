//! Leader election on a `coordination.k8s.io` Lease (kube-lease-manager), so that of several
//! replicas exactly one reconciles at a time.
use std::time::Duration;

use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;

/// Where the Lease lives and who we are.
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    pub namespace: String,
    pub name: String,
    pub identity: String,
    pub duration: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    #[error("setting up the Lease {namespace}/{name}: {source}")]
    Setup {
        namespace: String,
        name: String,
        #[source]
        source: kube_lease_manager::LeaseManagerError,
    },
    #[error("the leader-election task stopped")]
    Stopped,
}

/// A held (or awaited) leadership. Dropping it releases the Lease.
pub struct Leadership {
    rx: watch::Receiver<bool>,
    _task: tokio::task::JoinHandle<Result<kube_lease_manager::LeaseManager, kube_lease_manager::LeaseManagerError>>,
}

/// Joins the election; returns once this replica is the leader.
pub async fn acquire(client: kube::Client, s: &LeaseSettings) -> Result<Leadership, LeaderError> {
    let secs = s.duration.as_secs().max(2);
    let manager = LeaseManagerBuilder::new(client, &s.name)
        .with_namespace(&s.namespace)
        .with_identity(&s.identity)
        .with_duration(secs)
        .with_grace((secs / 3).max(1))
        .build()
        .await
        .map_err(|source| LeaderError::Setup { namespace: s.namespace.clone(), name: s.name.clone(), source })?;
    let (mut rx, task) = manager.watch().await;
    tracing::info!(lease = %format!("{}/{}", s.namespace, s.name), identity = %s.identity, "waiting to become leader");
    while !*rx.borrow_and_update() {
        rx.changed().await.map_err(|_| LeaderError::Stopped)?;
    }
    tracing::info!("became leader");
    Ok(Leadership { rx, _task: task })
}

impl Leadership {
    /// Resolves when leadership is lost (or the election task ends).
    pub async fn lost(mut self) {
        while *self.rx.borrow_and_update() {
            if self.rx.changed().await.is_err() {
                break;
            }
        }
        tracing::warn!("lost leadership");
        // Keep the receiver alive until here so the Lease is not released early.
        drop(self);
    }
}
