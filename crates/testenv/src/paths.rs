//! Where the binaries and scratch directories live, and cleanup of leftovers.
use std::path::PathBuf;
use std::sync::Mutex;

pub(crate) const DIR_PREFIX: &str = "hookwright-testenv-";

/// `$HOOKWRIGHT_BIN_DIR`, else `~/.cache/hookwright/bin/current` (set by tools/build.sh).
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HOOKWRIGHT_BIN_DIR") {
        return PathBuf::from(d);
    }
    let cache = std::env::var_os("HOOKWRIGHT_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".cache/hookwright")
    });
    cache.join("bin/current")
}

/// tmpfs (`/dev/shm`) when writable, so etcd never waits for a disk; else the temp dir.
pub(crate) fn scratch_root() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    let probe = shm.join(format!(".{DIR_PREFIX}probe-{}", std::process::id()));
    if std::fs::write(&probe, b"").is_ok() {
        let _ = std::fs::remove_file(probe);
        return shm;
    }
    std::env::temp_dir()
}

/// Removes directories left by earlier runs whose owning process is gone (killed by SIGKILL).
pub(crate) fn sweep_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(scratch_root()) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(DIR_PREFIX) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if !PathBuf::from(format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

static AT_EXIT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

extern "C" fn remove_dirs() {
    crate::process::kill_all();
    if let Ok(dirs) = AT_EXIT.lock() {
        for d in dirs.iter() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Removes `dir` when the process exits normally (statics are never dropped in Rust).
pub(crate) fn remove_at_exit(dir: PathBuf) {
    let mut dirs = AT_EXIT.lock().expect("at-exit list");
    if dirs.is_empty() {
        // SAFETY: registering a plain extern "C" function with no captured state.
        unsafe { libc::atexit(remove_dirs) };
    }
    dirs.push(dir);
}
