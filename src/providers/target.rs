//! Where a `Webhook` lives in its provider, and that provider's rules for the values a Webhook
//! pushes. The controller passes the scope around without knowing what it is (a Mendix app id,
//! a Socotra tenant).
use crate::crd::Webhook;

use super::endpoint::{Endpoint, Flavor};

/// A Webhook's place in its provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub flavor: Flavor,
    /// Where the webhook lives within the provider account: the Mendix app id (from the
    /// Webhook) or the Socotra tenant locator (from the provider).
    pub scope: String,
}

/// The Webhook's provider block does not fit its provider.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct NoTarget(String);

impl Target {
    /// The target of `wh` at `endpoint`: the Webhook's block must be the provider's kind.
    pub fn of(wh: &Webhook, endpoint: &Endpoint) -> Result<Target, NoTarget> {
        match (endpoint.flavor, &wh.spec.mendix, &wh.spec.socotra) {
            (Flavor::Mendix, Some(m), _) => Ok(Target { flavor: Flavor::Mendix, scope: m.app_id.clone() }),
            (Flavor::Socotra, None, Some(_)) => match &endpoint.tenant {
                Some(tenant) => Ok(Target { flavor: Flavor::Socotra, scope: tenant.clone() }),
                None => Err(NoTarget("the Socotra provider names no tenantLocator".into())),
            },
            (flavor, _, _) => Err(NoTarget(format!(
                "spec.providerRef names a {} provider: set spec.{} (and not the other provider's block)",
                flavor.as_str(),
                flavor.as_str()
            ))),
        }
    }

    /// Whether this provider signs deliveries with a validation secret (Mendix does; Socotra
    /// does not).
    pub fn signs_deliveries(&self) -> bool {
        self.flavor == Flavor::Mendix
    }

    /// Why `value` cannot be this provider's validation secret, if it cannot.
    pub fn validation_secret_problem(&self, value: &str) -> Option<&'static str> {
        match self.flavor {
            Flavor::Mendix => super::mendix::validation_secret_problem(value),
            Flavor::Socotra => None,
        }
    }

    /// Why `value` cannot be a custom header value at this provider, if it cannot.
    pub fn header_value_problem(&self, value: &str) -> Option<&'static str> {
        super::header_value_problem(value)
    }
}
