//! Memory hygiene of the operator process. Both knobs are glibc's; musl (the release image)
//! has no arenas and returns freed pages by itself.
use std::time::Duration;

/// How often free heap pages are handed back to the kernel.
const TRIM_EVERY: Duration = Duration::from_secs(30);

/// glibc malloc gives each thread that allocates its own arena (up to 8 per core), and memory
/// freed in one arena serves only that arena: after the initial list of many objects, the
/// operator holds several partly empty arenas (about 7 MiB of RSS at 10,000 Webhooks). Two
/// are enough for a few worker threads.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; called first thing in main, before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// glibc returns free memory to the kernel only from the top of the heap; pages freed below
/// live objects (the initial list's pages of JSON, a burst of reconciles) stay resident. Every
/// [`TRIM_EVERY`], `malloc_trim` hands back every whole free page (a walk over the free lists,
/// about a millisecond at 10,000 Webhooks).
pub async fn trim_periodically() {
    let mut every = tokio::time::interval(TRIM_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim takes the arenas' locks itself; it frees nothing in use.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}
