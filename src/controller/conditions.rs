//! Status conditions (`Ready`, `Synced`, `Delivered`) with kstatus semantics: the transition
//! time changes only when the status flips. Pure functions.
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

pub use crate::crd::{CONDITION_DELIVERED as DELIVERED, CONDITION_READY as READY, CONDITION_SYNCED as SYNCED};

/// Sets condition `type_` in `conds`, keeping `lastTransitionTime` when the status is unchanged.
pub fn set(conds: &mut Vec<Condition>, type_: &str, ok: bool, reason: &str, message: &str, generation: Option<i64>) {
    let status = if ok { "True" } else { "False" };
    let now = Time(jiff::Timestamp::now());
    let message: String = message.chars().take(1024).collect();
    match conds.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            if c.status != status {
                c.last_transition_time = now;
            }
            c.status = status.into();
            c.reason = reason.into();
            c.message = message;
            c.observed_generation = generation;
        }
        None => conds.push(Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message,
            observed_generation: generation,
            last_transition_time: now,
        }),
    }
}

/// The condition of `type_`, if present.
pub fn get<'a>(conds: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conds.iter().find(|c| c.type_ == type_)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_moves_only_on_flip() {
        let mut c = Vec::new();
        set(&mut c, READY, false, "Pending", "", Some(1));
        let t0 = c[0].last_transition_time.clone();
        set(&mut c, READY, false, "Other", "m", Some(2));
        assert_eq!(c[0].last_transition_time, t0);
        assert_eq!((c[0].reason.as_str(), c[0].observed_generation), ("Other", Some(2)));
        set(&mut c, READY, true, "UpToDate", "", Some(2));
        assert_ne!(c[0].last_transition_time, t0);
        assert_eq!(c.len(), 1);
    }
}
