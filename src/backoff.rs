//! The backoff arithmetic, in one place: exponential growth with a cap, and the two kinds of
//! jitter the operator uses (a proportional spread around a delay, and "full jitter" below it).
//! Pure functions over `Duration`, saturating: no input overflows or panics.
use std::time::Duration;

/// `base·2^(n-1)` for the n-th attempt (n ≥ 1; 0 counts as 1), at most `cap`.
pub fn exponential(n: u32, base: Duration, cap: Duration) -> Duration {
    base.saturating_mul(1u32 << n.saturating_sub(1).min(20)).min(cap)
}

/// `d` moved by up to ±`fraction` of itself, uniformly (so equal delays drift apart).
pub fn spread(d: Duration, fraction: f64) -> Duration {
    let f = fraction.clamp(0.0, 1.0);
    d.mul_f64(1.0 - f + 2.0 * f * rand::random::<f64>())
}

/// Uniform in `[0, d]` ("full jitter").
pub fn full_jitter(d: Duration) -> Duration {
    d.mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn grows_doubling_to_the_cap_and_never_overflows() {
        assert_eq!(exponential(0, S, 60 * S), S);
        assert_eq!(exponential(1, S, 60 * S), S);
        assert_eq!(exponential(4, S, 60 * S), 8 * S);
        assert_eq!(exponential(9, S, 60 * S), 60 * S);
        assert_eq!(exponential(u32::MAX, Duration::MAX, Duration::MAX), Duration::MAX);
    }

    #[test]
    fn jitter_stays_in_its_bounds() {
        for _ in 0..200 {
            let s = spread(10 * S, 0.1);
            assert!(s >= 9 * S && s <= 11 * S, "{s:?}");
            assert!(full_jitter(10 * S) <= 10 * S);
        }
        assert_eq!(spread(10 * S, 0.0), 10 * S);
    }
}
