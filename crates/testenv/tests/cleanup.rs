//! The harness's own cleanup test: killing it outright leaves no control-plane process behind.
use std::time::{Duration, Instant};

/// Kills a `hookwright-testenv` process with SIGKILL (no cleanup code of ours runs) and checks
/// that the kernel took etcd and kube-apiserver down with it.
#[test]
fn killed_harness_leaves_no_process_behind() {
    use std::io::BufRead;
    let bin = env!("CARGO_BIN_EXE_hookwright-testenv");
    let mut child =
        std::process::Command::new(bin).stdout(std::process::Stdio::piped()).spawn().expect("start hookwright-testenv");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad ready line {line:?}: {e}"));
    let pids: Vec<u32> = info["pids"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap() as u32).collect();
    assert_eq!(pids.len(), 3, "etcd, kube-apiserver, kube-controller-manager");
    for pid in &pids {
        assert!(alive(*pid), "pid {pid} should run while the harness runs");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while pids.iter().any(|p| alive(*p)) {
        assert!(Instant::now() < deadline, "etcd/kube-apiserver survived the harness: {pids:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Running = exists and is not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit(") ").next().is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}
