//! Prometheus metrics of the operator (text exposition on `/metrics`).
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProviderLabels {
    /// `<Kind>/<namespace>/<name>`
    pub provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiLabels {
    pub provider: String,
    pub method: String,
    pub route: String,
    pub status: String,
}

pub struct Metrics {
    registry: Registry,
    reconciles: Family<ResultLabels, Counter>,
    api_calls: Family<ApiLabels, Counter>,
    duration: Histogram,
    in_flight: Gauge,
    budget: Family<ProviderLabels, Gauge>,
    drift_calls: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hookwright");
        let reconciles = Family::<ResultLabels, Counter>::default();
        let api_calls = Family::<ApiLabels, Counter>::default();
        let duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        let in_flight = Gauge::default();
        let budget = Family::<ProviderLabels, Gauge>::default();
        let drift_calls = Counter::default();
        registry.register("reconciles", "Reconciles by result (a condition reason)", reconciles.clone());
        registry.register(
            "provider_requests",
            "Provider API requests by method, route and status (0 = no response)",
            api_calls.clone(),
        );
        registry.register("reconcile_duration_seconds", "Duration of reconciles", duration.clone());
        registry.register("reconciles_in_flight", "Reconciles running now", in_flight.clone());
        registry.register(
            "provider_rate_budget_remaining",
            "Requests left in the provider's rate-limit window (X-RateLimit-Remaining), by provider",
            budget.clone(),
        );
        registry.register(
            "drift_calls",
            "Provider requests spent on drift checks (list pages of the sweep, and full reads it asked for)",
            drift_calls.clone(),
        );
        Metrics { registry, reconciles, api_calls, duration, in_flight, budget, drift_calls }
    }
}

impl Metrics {
    pub fn reconcile_started(&self) -> ReconcileTimer<'_> {
        self.in_flight.inc();
        ReconcileTimer { metrics: self, start: std::time::Instant::now() }
    }

    pub fn reconciled(&self, result: &str) {
        self.reconciles.get_or_create(&ResultLabels { result: result.to_string() }).inc();
    }

    pub fn api_call(&self, provider: &str, method: &str, route: &str, status: u16) {
        let labels = ApiLabels {
            provider: provider.into(),
            method: method.into(),
            route: route.into(),
            status: status.to_string(),
        };
        self.api_calls.get_or_create(&labels).inc();
    }

    pub fn rate_budget(&self, provider: &str, remaining: u64) {
        self.budget.get_or_create(&ProviderLabels { provider: provider.into() }).set(remaining as i64);
    }

    pub fn drift_calls(&self, n: u64) {
        self.drift_calls.inc_by(n);
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Observes a reconcile's duration when dropped.
pub struct ReconcileTimer<'a> {
    metrics: &'a Metrics,
    start: std::time::Instant,
}

impl Drop for ReconcileTimer<'_> {
    fn drop(&mut self) {
        self.metrics.in_flight.dec();
        self.metrics.duration.observe(self.start.elapsed().as_secs_f64());
    }
}
