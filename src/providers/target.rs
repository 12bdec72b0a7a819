//! Where a `Webhook` lives in its provider, and that provider's rules for the values a Webhook
//! pushes. The controller passes the scope around without knowing what it is (a Mendix app id).
use crate::crd::Webhook;

use super::endpoint::Flavor;

/// A Webhook's place in its provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub flavor: Flavor,
    /// Where the webhook lives within the provider account (the Mendix app id).
    pub scope: String,
}

/// The Webhook has no provider block this version supports.
#[derive(Clone, Debug, thiserror::Error)]
#[error("spec.mendix is required (Socotra is not yet supported)")]
pub struct NoTarget;

impl Target {
    /// The target block of `wh`.
    pub fn of(wh: &Webhook) -> Result<Target, NoTarget> {
        let m = wh.spec.mendix.as_ref().ok_or(NoTarget)?;
        Ok(Target { flavor: Flavor::Mendix, scope: m.app_id.clone() })
    }

    /// Why `value` cannot be this provider's validation secret, if it cannot.
    pub fn validation_secret_problem(&self, value: &str) -> Option<&'static str> {
        match self.flavor {
            Flavor::Mendix => super::mendix::validation_secret_problem(value),
        }
    }

    /// Why `value` cannot be a custom header value at this provider, if it cannot.
    pub fn header_value_problem(&self, value: &str) -> Option<&'static str> {
        super::header_value_problem(value)
    }
}
