//! The operator under test: the release binary, watching the bench namespace only.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hookwright_testenv::Guarded;

pub struct Operator {
    pub proc: Guarded,
    pub metrics_url: String,
    pub started: Instant,
}

pub fn binary() -> PathBuf {
    std::env::var_os("HOOKWRIGHT_OPERATOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/hookwright"))
}

impl Operator {
    /// Starts `hookwright run` and waits (bounded) until `/readyz` answers 200.
    pub async fn start(
        kubeconfig: &Path,
        dir: &Path,
        ns: &str,
        concurrency: usize,
        extra: &[String],
        label: &str,
    ) -> Operator {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = std::process::Command::new(binary());
        cmd.args(["run", "--namespace", ns, "--log-format", "json"])
            .arg(format!("--concurrency={concurrency}"))
            .arg(format!("--metrics-addr=127.0.0.1:{port}"))
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .env("POD_NAME", format!("bench-{label}"))
            .env("RUST_LOG", "warn");
        let log = dir.join(format!("operator-{label}.log"));
        let proc = hookwright_testenv::spawn_logged("hookwright", cmd, &log).expect("operator");
        let started = Instant::now();
        let http = reqwest::Client::new();
        let deadline = started + Duration::from_secs(60);
        loop {
            proc.check_running().expect("operator running");
            if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/readyz")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "operator {label} not ready within 60 s: {}", proc.log_tail());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Operator { proc, metrics_url: format!("http://127.0.0.1:{port}/metrics"), started }
    }

    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }
}
