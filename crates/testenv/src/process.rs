//! Child processes that cannot outlive the test process.
use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::TestEnvError;

/// Pids of every child still running, killed by `kill_all` at exit.
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, so children are
/// forked from one thread that lives as long as the process.
fn spawner() -> &'static Mutex<mpsc::Sender<SpawnRequest>> {
    static SPAWNER: std::sync::OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = std::sync::OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("testenv-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
                // The sender lives in a static and is never dropped: park forever.
                loop {
                    std::thread::park();
                }
            })
            .expect("spawner thread");
        Mutex::new(tx)
    })
}

/// A child process killed on drop, or by the kernel when this process dies.
pub struct Guarded {
    what: &'static str,
    /// The child, and whether `kill` has already killed and reaped it.
    child: Mutex<(Child, bool)>,
    log: std::path::PathBuf,
}

/// Starts a control-plane binary. Its log is appended to, so after a restart it still holds
/// the lines of the run before.
pub(crate) fn spawn(what: &'static str, bin: &Path, args: &[String], log: &Path) -> Result<Guarded, TestEnvError> {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    let out = File::options().create(true).append(true).open(log)?;
    spawn_with_output(what, cmd, out, log)
}

/// Starts `cmd` with stdout and stderr written to `log` (created or truncated); the process is
/// killed when the returned guard drops, or by the kernel when this process dies.
pub fn spawn_logged(what: &'static str, cmd: Command, log: &Path) -> Result<Guarded, TestEnvError> {
    spawn_with_output(what, cmd, File::create(log)?, log)
}

fn spawn_with_output(what: &'static str, mut cmd: Command, out: File, log: &Path) -> Result<Guarded, TestEnvError> {
    cmd.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (tx, rx) = mpsc::channel();
    spawner().lock().expect("spawner").send((cmd, tx)).expect("spawner thread alive");
    let child = rx.recv().expect("spawner replies")?;
    LIVE.lock().expect("live list").push(child.id());
    Ok(Guarded { what, child: Mutex::new((child, false)), log: log.to_path_buf() })
}

impl Guarded {
    pub fn pid(&self) -> u32 {
        self.child.lock().expect("child").0.id()
    }

    /// SIGKILL (no cleanup code of the process runs) and reap, so no zombie is left and its
    /// pid leaves the at-exit kill list. Idempotent; dropping the guard does the same.
    pub fn kill(&self) {
        let mut guard = self.child.lock().expect("child");
        let (child, killed) = &mut *guard;
        if std::mem::replace(killed, true) {
            return;
        }
        let pid = child.id();
        let _ = child.kill();
        let _ = child.wait();
        LIVE.lock().expect("live list").retain(|p| *p != pid);
    }

    /// Err with the log tail when the process has exited.
    pub fn check_running(&self) -> Result<(), TestEnvError> {
        match self.child.lock().expect("child").0.try_wait()? {
            None => Ok(()),
            Some(status) => {
                Err(TestEnvError::Exited { what: self.what, status: status.to_string(), log: self.log_tail() })
            }
        }
    }

    /// Path of the process's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last 40 lines of the process's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.kill();
    }
}

/// SIGKILL every child still alive (called at process exit).
pub(crate) fn kill_all() {
    if let Ok(pids) = LIVE.lock() {
        for pid in pids.iter() {
            // SAFETY: plain kill(2) on a pid we spawned.
            unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
        }
    }
}

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls until `port` accepts connections or the process dies or `limit` passes.
pub(crate) async fn wait_for_port(proc_: &Guarded, port: u16, limit: Duration) -> Result<(), TestEnvError> {
    let deadline = Instant::now() + limit;
    loop {
        proc_.check_running()?;
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(TestEnvError::NotReady { what: proc_.what, secs: limit.as_secs(), log: proc_.log_tail() });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until `port` can be bound again (its previous owner killed), or `limit` passes. The
/// kernel closes a process's sockets when it exits (a zombie holds none), so this normally
/// returns at once; it guards against anything else still holding the port (a descendant that
/// inherited the listener, another process that took the port meanwhile) and turns that into a
/// clear error instead of a new process failing to bind. `SO_REUSEADDR` (set by std, as by Go's
/// listeners) lets connections left in TIME_WAIT pass.
pub(crate) async fn wait_port_free(what: &'static str, port: u16, limit: Duration) -> Result<(), TestEnvError> {
    let deadline = Instant::now() + limit;
    loop {
        match TcpListener::bind(("127.0.0.1", port)) {
            Ok(listener) => {
                drop(listener);
                return Ok(());
            }
            Err(e) if Instant::now() > deadline => {
                return Err(TestEnvError::PortInUse { what, port, secs: limit.as_secs(), reason: e.to_string() });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
