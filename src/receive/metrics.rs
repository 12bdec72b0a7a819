//! Counters of the verifying proxy, exposed on `/metrics` in the OpenMetrics text format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What happened to one request; the `outcome` label of `hookwright_receive_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Verified and relayed to the upstream (whatever the upstream answered).
    Forwarded,
    /// No signature matched any accepted secret.
    BadSignature,
    /// A webhook header is missing.
    MissingHeader,
    /// A webhook header is malformed.
    BadFormat,
    /// The timestamp is older than the tolerance.
    Expired,
    /// The timestamp is further in the future than the tolerance.
    TooNew,
    /// A verified delivery whose `webhook-id` was already forwarded with a 2xx answer: the
    /// sender's retry (our answer was lost); acknowledged with 200, not forwarded again.
    Redelivered,
    /// A verified delivery whose `webhook-id` is being forwarded right now: 409, retry later.
    InFlight,
    /// The replay cache is full of live entries; answered 503 so the sender retries.
    ReplayCacheFull,
    /// The body exceeded `--max-body-bytes`.
    TooLarge,
    /// Not a POST.
    MethodNotAllowed,
    /// The body could not be read.
    BadRequest,
    /// The body did not arrive within `--body-read-timeout` (408).
    BodyTimeout,
    /// Verified, but the upstream could not be reached or did not answer in time (502/504).
    UpstreamError,
}

impl Outcome {
    /// Every outcome, so all series exist (at 0) from the start.
    pub const ALL: [Outcome; 14] = [
        Outcome::Forwarded,
        Outcome::BadSignature,
        Outcome::MissingHeader,
        Outcome::BadFormat,
        Outcome::Expired,
        Outcome::TooNew,
        Outcome::Redelivered,
        Outcome::InFlight,
        Outcome::ReplayCacheFull,
        Outcome::TooLarge,
        Outcome::MethodNotAllowed,
        Outcome::BadRequest,
        Outcome::BodyTimeout,
        Outcome::UpstreamError,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Forwarded => "forwarded",
            Outcome::BadSignature => "bad_signature",
            Outcome::MissingHeader => "missing_header",
            Outcome::BadFormat => "bad_format",
            Outcome::Expired => "expired",
            Outcome::TooNew => "too_new",
            Outcome::Redelivered => "redelivered",
            Outcome::InFlight => "in_flight",
            Outcome::ReplayCacheFull => "replay_cache_full",
            Outcome::TooLarge => "too_large",
            Outcome::MethodNotAllowed => "method_not_allowed",
            Outcome::BadRequest => "bad_request",
            Outcome::BodyTimeout => "body_timeout",
            Outcome::UpstreamError => "upstream_error",
        }
    }

    /// The outcome for a verification error.
    pub fn from_error(e: &hookwright::signature::SignatureError) -> Outcome {
        use hookwright::signature::SignatureError as E;
        match e {
            E::MissingHeader(_) => Outcome::MissingHeader,
            E::BadFormat { .. } => Outcome::BadFormat,
            E::Expired { .. } => Outcome::Expired,
            E::TooNew { .. } => Outcome::TooNew,
            E::NoMatchingSignature { .. } => Outcome::BadSignature,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeyLabel {
    secret: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

/// The proxy's metrics registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<OutcomeLabel, Counter>,
    upstream: Family<StatusLabel, Counter>,
    verified: Family<KeyLabel, Counter>,
    reloads: Family<ResultLabel, Counter>,
    secrets: Gauge,
    replay_entries: Gauge,
    connections_open: Gauge,
    connections_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hookwright_receive");
        let requests = Family::<OutcomeLabel, Counter>::default();
        let upstream = Family::<StatusLabel, Counter>::default();
        let verified = Family::<KeyLabel, Counter>::default();
        let reloads = Family::<ResultLabel, Counter>::default();
        let secrets = Gauge::default();
        let replay_entries = Gauge::default();
        let connections_open = Gauge::default();
        let connections_refused = Counter::default();
        registry.register("requests", "Requests by outcome (forwarded or why rejected)", requests.clone());
        registry.register(
            "upstream_responses",
            "Upstream answers to forwarded deliveries, by HTTP status",
            upstream.clone(),
        );
        registry.register(
            "verified",
            "Deliveries whose signature matched, by secret (current, or previous during the grace period)",
            verified.clone(),
        );
        registry.register("secret_reloads", "Secret file changes picked up (ok) or refused (error)", reloads.clone());
        registry.register(
            "accepted_secrets",
            "Secrets accepted now (2 or more during a grace period)",
            secrets.clone(),
        );
        registry.register(
            "replay_cache_entries",
            "webhook-ids remembered for replay protection",
            replay_entries.clone(),
        );
        registry.register("connections_open", "Client connections open now", connections_open.clone());
        registry.register(
            "connections_refused",
            "Connections answered 503 at once because --max-connections were open",
            connections_refused.clone(),
        );
        for o in Outcome::ALL {
            let _ = requests.get_or_create(&OutcomeLabel { outcome: o.as_str() });
        }
        for secret in ["current", "previous"] {
            let _ = verified.get_or_create(&KeyLabel { secret });
        }
        for result in ["ok", "error"] {
            let _ = reloads.get_or_create(&ResultLabel { result });
        }
        Metrics {
            registry,
            requests,
            upstream,
            verified,
            reloads,
            secrets,
            replay_entries,
            connections_open,
            connections_refused,
        }
    }
}

impl Metrics {
    /// Counts one request.
    pub fn request(&self, outcome: Outcome) {
        self.requests.get_or_create(&OutcomeLabel { outcome: outcome.as_str() }).inc();
    }

    /// Counts one upstream answer.
    pub fn upstream_status(&self, status: u16) {
        self.upstream.get_or_create(&StatusLabel { status }).inc();
    }

    /// Counts one verified delivery; `key_index` 0 is the current secret.
    pub fn verified(&self, key_index: usize) {
        let secret = if key_index == 0 { "current" } else { "previous" };
        self.verified.get_or_create(&KeyLabel { secret }).inc();
    }

    /// Counts one secret reload.
    pub fn reload(&self, ok: bool) {
        self.reloads.get_or_create(&ResultLabel { result: if ok { "ok" } else { "error" } }).inc();
    }

    /// Sets the number of accepted secrets.
    pub fn set_secrets(&self, n: usize) {
        self.secrets.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Sets the size of the replay cache.
    pub fn set_replay_entries(&self, n: usize) {
        self.replay_entries.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Counts a connection opened (`true`) or closed (`false`).
    pub fn connection(&self, opened: bool) {
        if opened {
            self.connections_open.inc();
        } else {
            self.connections_open.dec();
        }
    }

    /// Counts a connection refused over the limit.
    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
