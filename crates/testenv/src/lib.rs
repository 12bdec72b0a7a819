//! A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) on loopback, for hookwright's
//! integration and end-to-end tests and for scripts (`hookwright-testenv` binary).
//!
//! The binaries come from `tools/build.sh` (built from the Go module proxy and cached under
//! `~/.cache/hookwright/bin/`). Every child process is started with `PR_SET_PDEATHSIG=SIGKILL`
//! from a thread that lives as long as the process, so when the test process dies, for any
//! reason, the kernel kills the control plane too.

mod certs;
mod crds;
mod paths;
mod process;

pub use crds::install_crds;
pub use paths::bin_dir;
pub use process::{Guarded, spawn_logged};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// Why the control plane could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum TestEnvError {
    #[error("control-plane binary {0} not found; run tools/build.sh (or set HOOKWRIGHT_BIN_DIR)")]
    BinaryMissing(PathBuf),
    #[error("preparing the control-plane directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("generating certificates: {0}")]
    Certs(#[from] rcgen::Error),
    #[error("{what} did not become ready within {secs}s; last log lines:\n{log}")]
    NotReady { what: &'static str, secs: u64, log: String },
    #[error("{what} exited early ({status}); last log lines:\n{log}")]
    Exited { what: &'static str, status: String, log: String },
    #[error("port {port} of {what} still in use {secs}s after the old process was killed: {reason}")]
    PortInUse { what: &'static str, port: u16, secs: u64, reason: String },
    #[error("building a client from the kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("kubernetes API call failed: {0}")]
    Kube(#[from] kube::Error),
}

/// A running etcd, kube-apiserver and kube-controller-manager (namespace deletion and garbage
/// collection only). Dropping it kills all three and removes its directory.
pub struct ControlPlane {
    dir: tempfile::TempDir,
    layout: Layout,
    server: String,
    admin_token: String,
    etcd: process::Guarded,
    apiserver: process::Guarded,
    controller_manager: Option<process::Guarded>,
}

/// Everything fixed when the control plane is first started and reused by `restart`: the
/// binaries, ports, etcd data dir, certificates and tokens file. The argument lists are built
/// from it here and nowhere else.
struct Layout {
    bins: PathBuf,
    root: PathBuf,
    etcd_client: u16,
    etcd_peer: u16,
    api_port: u16,
    pki: certs::Pki,
}

/// How long each step of starting (or restarting) may take.
const ETCD_PORT_LIMIT: Duration = Duration::from_secs(30);
const READY_LIMIT: Duration = Duration::from_secs(120);
const PORT_FREE_LIMIT: Duration = Duration::from_secs(30);

impl Layout {
    fn etcd_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.etcd_client)
    }

    fn server(&self) -> String {
        format!("https://127.0.0.1:{}", self.api_port)
    }

    fn kubeconfig_path(&self) -> PathBuf {
        self.root.join("kubeconfig")
    }

    fn etcd_args(&self) -> Vec<String> {
        let etcd_url = self.etcd_url();
        let peer_url = format!("http://127.0.0.1:{}", self.etcd_peer);
        vec![
            "--name=testenv".into(),
            format!("--data-dir={}", self.root.join("etcd").display()),
            format!("--listen-client-urls={etcd_url}"),
            format!("--advertise-client-urls={etcd_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=testenv={peer_url}"),
            "--unsafe-no-fsync=true".into(),
            "--log-level=warn".into(),
        ]
    }

    fn apiserver_args(&self) -> Vec<String> {
        vec![
            format!("--etcd-servers={}", self.etcd_url()),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={}", self.api_port),
            format!("--cert-dir={}", self.root.join("apiserver-certs").display()),
            format!("--tls-cert-file={}", self.pki.serving_cert.display()),
            format!("--tls-private-key-file={}", self.pki.serving_key.display()),
            format!("--token-auth-file={}", self.root.join("tokens.csv").display()),
            "--authorization-mode=RBAC".into(),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
            format!("--service-account-key-file={}", self.pki.sa_pub.display()),
            format!("--service-account-signing-key-file={}", self.pki.sa_key.display()),
            "--service-cluster-ip-range=10.96.0.0/16".into(),
            "--endpoint-reconciler-type=none".into(),
            "--disable-admission-plugins=ServiceAccount".into(),
            "--profiling=false".into(),
            "--v=1".into(),
        ]
    }

    /// Only the controllers whose behaviour tests depend on: namespace deletion (a namespace
    /// is emptied, finalizers respected, then removed) and ownerReference garbage collection.
    fn controller_manager_args(&self) -> Vec<String> {
        vec![
            format!("--kubeconfig={}", self.kubeconfig_path().display()),
            "--controllers=namespace-controller,garbage-collector-controller".into(),
            "--leader-elect=false".into(),
            "--secure-port=0".into(),
            "--concurrent-namespace-syncs=4".into(),
            "--v=1".into(),
        ]
    }

    /// Starts etcd and waits until its client port accepts connections.
    async fn spawn_etcd(&self) -> Result<process::Guarded, TestEnvError> {
        let etcd = process::spawn("etcd", &self.bins.join("etcd"), &self.etcd_args(), &self.root.join("etcd.log"))?;
        process::wait_for_port(&etcd, self.etcd_client, ETCD_PORT_LIMIT).await?;
        Ok(etcd)
    }

    /// Starts kube-apiserver (readiness is `ControlPlane::wait_ready`'s job). The log is
    /// appended to, so a restart keeps the earlier run's lines.
    fn spawn_apiserver(&self) -> Result<process::Guarded, TestEnvError> {
        process::spawn(
            "kube-apiserver",
            &self.bins.join("kube-apiserver"),
            &self.apiserver_args(),
            &self.root.join("kube-apiserver.log"),
        )
    }

    fn spawn_controller_manager(&self) -> Result<process::Guarded, TestEnvError> {
        process::spawn(
            "kube-controller-manager",
            &self.bins.join("kube-controller-manager"),
            &self.controller_manager_args(),
            &self.root.join("kube-controller-manager.log"),
        )
    }
}

impl ControlPlane {
    /// Starts etcd and kube-apiserver on free loopback ports and waits for `/readyz`.
    pub async fn start() -> Result<ControlPlane, TestEnvError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let bins = paths::bin_dir();
        for b in ["etcd", "kube-apiserver", "kube-controller-manager"] {
            if !bins.join(b).is_file() {
                return Err(TestEnvError::BinaryMissing(bins.join(b)));
            }
        }
        paths::sweep_stale_dirs();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{}{}-", paths::DIR_PREFIX, std::process::id()))
            .tempdir_in(paths::scratch_root())?;
        let root = dir.path().to_path_buf();
        let pki = certs::write_pki(&root)?;
        let admin_token = certs::random_token();
        std::fs::write(
            root.join("tokens.csv"),
            format!("{admin_token},hookwright-test-admin,hookwright-test-admin,system:masters\n"),
        )?;

        let (etcd_client, etcd_peer, api_port) = (process::free_port()?, process::free_port()?, process::free_port()?);
        let layout = Layout { bins, root, etcd_client, etcd_peer, api_port, pki };
        let etcd = layout.spawn_etcd().await?;
        let apiserver = layout.spawn_apiserver()?;
        let server = layout.server();
        let mut cp = ControlPlane { layout, server, admin_token, etcd, apiserver, controller_manager: None, dir };
        std::fs::write(cp.kubeconfig_path(), cp.kubeconfig_yaml(&cp.admin_token))?;
        cp.wait_ready(READY_LIMIT).await?;
        cp.controller_manager = Some(cp.layout.spawn_controller_manager()?);
        Ok(cp)
    }

    /// A crash of etcd and kube-apiserver: both killed with SIGKILL (no graceful shutdown) and
    /// reaped. The API is down until `restart`, so a test can act while it is down (wait for
    /// a provider's answers, for example). kube-controller-manager keeps running.
    pub fn crash(&mut self) {
        self.apiserver.kill();
        self.etcd.kill();
    }

    /// Restarts etcd and kube-apiserver in place: kills both with SIGKILL unless `crash` did
    /// already, starts them again on the same ports with the same etcd data dir, certificates
    /// and tokens file, and waits for `/readyz`. Kubeconfigs, tokens and clients made before
    /// keep working (they reconnect); objects and resourceVersions are those etcd had
    /// persisted. kube-controller-manager keeps running and reconnects, as it would in a
    /// cluster; it is started again only if it exited during the outage.
    ///
    /// Takes `&mut self`, so the `shared()` control plane (used by other tests of the binary at
    /// the same time) cannot be restarted; a test restarts one it started itself.
    pub async fn restart(&mut self) -> Result<(), TestEnvError> {
        self.crash();
        // Both are reaped by `kill` (PID 1 here reaps nothing, so nobody else would), and their
        // sockets closed; still, never race a new process against an old listener.
        let l = &self.layout;
        for (what, port) in [("etcd", l.etcd_client), ("etcd", l.etcd_peer), ("kube-apiserver", l.api_port)] {
            process::wait_port_free(what, port, PORT_FREE_LIMIT).await?;
        }
        // Replacing the old guards drops them: a no-op, they are already killed and reaped.
        self.etcd = self.layout.spawn_etcd().await?;
        self.apiserver = self.layout.spawn_apiserver()?;
        if self.controller_manager.as_ref().is_some_and(|kcm| kcm.check_running().is_err()) {
            self.controller_manager = Some(self.layout.spawn_controller_manager()?);
        }
        self.wait_ready(READY_LIMIT).await
    }

    async fn wait_ready(&self, limit: Duration) -> Result<(), TestEnvError> {
        let deadline = Instant::now() + limit;
        let client = self.client().await?;
        loop {
            self.etcd.check_running()?;
            self.apiserver.check_running()?;
            if let Some(kcm) = &self.controller_manager {
                kcm.check_running()?;
            }
            let req = http::Request::get("/readyz").body(Vec::new()).expect("static request");
            if let Ok(body) = client.request_text(req).await
                && body.trim() == "ok"
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(TestEnvError::NotReady {
                    what: "kube-apiserver",
                    secs: limit.as_secs(),
                    log: self.apiserver.log_tail(),
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// `https://127.0.0.1:<port>` of the apiserver.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// PEM of the CA that signed the apiserver's serving certificate.
    pub fn ca_pem(&self) -> &str {
        &self.layout.pki.ca_pem
    }

    /// Directory holding the kubeconfig, logs, certificates and etcd data.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Path of the admin kubeconfig (user in group `system:masters`).
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.layout.kubeconfig_path()
    }

    /// Process ids of etcd and kube-apiserver (for leak checks).
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = vec![self.etcd.pid(), self.apiserver.pid()];
        pids.extend(self.controller_manager.as_ref().map(process::Guarded::pid));
        pids
    }

    /// A kubeconfig for this control plane that authenticates with `token`.
    pub fn kubeconfig_yaml(&self, token: &str) -> String {
        use base64::Engine as _;
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.layout.pki.ca_pem);
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n- name: user\n  user:\n    token: {token}\ncontexts:\n- name: testenv\n  context:\n    cluster: testenv\n    user: user\ncurrent-context: testenv\n",
            self.server
        )
    }

    /// A client authenticated as the admin.
    pub async fn client(&self) -> Result<kube::Client, TestEnvError> {
        self.client_with_token(&self.admin_token).await
    }

    /// A client authenticated with a bearer token (e.g. from TokenRequest).
    pub async fn client_with_token(&self, token: &str) -> Result<kube::Client, TestEnvError> {
        let kc =
            Kubeconfig::from_yaml(&self.kubeconfig_yaml(token)).map_err(|e| TestEnvError::Kubeconfig(e.to_string()))?;
        let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .map_err(|e| TestEnvError::Kubeconfig(e.to_string()))?;
        kube::Client::try_from(config).map_err(TestEnvError::Kube)
    }
}

/// Creates a namespace with a unique name starting with `prefix` and returns its name.
pub async fn create_namespace(client: &kube::Client, prefix: &str) -> Result<String, TestEnvError> {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: ObjectMeta { generate_name: Some(format!("{prefix}-")), ..Default::default() },
        ..Default::default()
    };
    let created = api.create(&PostParams::default(), &ns).await?;
    Ok(created.metadata.name.expect("apiserver assigns a name"))
}

/// One control plane shared by all tests of a test binary. Started on first use; killed by
/// the kernel when the test process exits (`PR_SET_PDEATHSIG`) and its directory removed at
/// exit. Tests must each use their own namespace.
pub async fn shared() -> &'static ControlPlane {
    static CP: tokio::sync::OnceCell<ControlPlane> = tokio::sync::OnceCell::const_new();
    CP.get_or_init(|| async {
        let cp = ControlPlane::start().await.unwrap_or_else(|e| panic!("starting the test control plane: {e}"));
        paths::remove_at_exit(cp.dir().to_path_buf());
        cp
    })
    .await
}

/// The operator binary a test runs: `$HOOKWRIGHT_OPERATOR_BIN` when set (a release or static
/// build, or an older build to see a test fail before its fix), else `built` (the test's own
/// `CARGO_BIN_EXE_hookwright`).
pub fn operator_binary(built: &str) -> std::ffi::OsString {
    std::env::var_os("HOOKWRIGHT_OPERATOR_BIN").unwrap_or_else(|| built.into())
}
