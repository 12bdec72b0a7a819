//! Raise the open-files soft limit to the hard limit at start (as Go's runtime does), so the
//! connection limit, not a default soft limit of 1024, decides how many connections are served.

/// Raises `RLIMIT_NOFILE`'s soft limit to its hard limit; logs and carries on if it cannot.
pub fn raise_to_hard_limit() {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into the valid, exclusively borrowed `lim`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "cannot read the open-files limit");
        return;
    }
    if lim.rlim_cur >= lim.rlim_max {
        return;
    }
    let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
    // SAFETY: setrlimit only reads the valid `raised`.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "cannot raise the open-files limit");
    }
}
