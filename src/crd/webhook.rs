//! The `Webhook` custom resource: one remote webhook subscription, kept equal to its spec.
use kube::core::{Message, Rule};
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::common::{Condition, DeletionPolicy, ProviderRef, SecretKeyRef};

/// Header names Mendix rejects in a webhook's custom headers (compared case-insensitively).
pub const MENDIX_RESERVED_HEADER_NAMES: &[&str] = &[
    "user-agent",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "age",
    "cache-control",
    "clear-site-data",
    "expires",
    "pragma",
    "warning",
    "content-length",
    "content-type",
    "content-encoding",
    "content-language",
    "content-location",
];

/// Header name prefixes Mendix rejects in a webhook's custom headers (compared case-insensitively).
pub const MENDIX_RESERVED_HEADER_PREFIXES: &[&str] =
    &["x-amz-", "x-amzn-", "x-google", "x-goog-", "x-gfe", "x-azure-", "x-fd-", "x-svix-", "svix-"];

/// Whether Mendix rejects `name` as a custom header name (the same check the CRD's CEL rules make).
pub fn is_reserved_header_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    MENDIX_RESERVED_HEADER_NAMES.contains(&lower.as_str())
        || MENDIX_RESERVED_HEADER_PREFIXES.iter().any(|p| lower.starts_with(p))
}

fn cel_string_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

// Mendix's own rules, checked only when spec.mendix is set (Socotra has other rules).

fn reserved_header_name_rule() -> Rule {
    Rule::new(format!(
        "!has(self.mendix) || self.headers.all(h, !(h.name.lowerAscii() in {}))",
        cel_string_list(MENDIX_RESERVED_HEADER_NAMES)
    ))
    .message(Message::Message(format!(
        "spec.headers: a header name is reserved and rejected by Mendix (reserved names, case-insensitive: {})",
        MENDIX_RESERVED_HEADER_NAMES.join(", ")
    )))
}

fn reserved_header_prefix_rule() -> Rule {
    Rule::new(format!(
        "!has(self.mendix) || self.headers.all(h, !{}.exists(p, h.name.lowerAscii().startsWith(p)))",
        cel_string_list(MENDIX_RESERVED_HEADER_PREFIXES)
    ))
    .message(Message::Message(format!(
        "spec.headers: a header name starts with a prefix reserved and rejected by Mendix (reserved prefixes, case-insensitive: {})",
        MENDIX_RESERVED_HEADER_PREFIXES.join(", ")
    )))
}

fn mendix_display_name_rule() -> Rule {
    Rule::new("!has(self.mendix) || !has(self.displayName) || self.displayName.matches('^[a-zA-Z0-9_ ]+$')").message(
        Message::Message(
            "spec.displayName: must contain only letters, digits, underscores and spaces (Mendix's name pattern ^[a-zA-Z0-9_ ]+$)"
                .into(),
        ),
    )
}

fn mendix_single_header_values_rule() -> Rule {
    Rule::new("!has(self.mendix) || self.headers.all(h, !has(h.values))").message(Message::Message(
        "spec.headers: Mendix headers carry one value each: use value or valueFrom, not values".into(),
    ))
}

fn socotra_unsigned_rule() -> Rule {
    Rule::new("!has(self.socotra) || !has(self.validationSecretRef)").message(Message::Message(
        "spec.validationSecretRef: Socotra does not sign deliveries with a validation secret; remove it".into(),
    ))
}

/// CEL rule: an absolute http(s) URL with a host.
pub(crate) const HTTP_URL_RULE: &str =
    "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''";

fn default_true() -> bool {
    true
}

/// Desired state of a webhook subscription at a SaaS provider.
// The repeated `type_ = "string"` of printer columns is not a duplicated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "hookwright.dev",
    version = "v1alpha1",
    kind = "Webhook",
    namespaced,
    shortname = "wh",
    category = "hookwright",
    status = "WebhookStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = "A webhook subscription at a SaaS provider (Mendix or Socotra), managed by hookwright: the operator creates the remote webhook, pushes every change of this spec or of the referenced Secrets, repairs edits made in the provider's portal, and deletes the remote webhook when this object is deleted (unless deletionPolicy is Orphan).",
    printcolumn(
        name = "Location",
        type_ = "string",
        json_path = ".status.location",
        description = "Where the webhook lives: the Mendix app id or the Socotra tenant"
    ),
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.url", description = "Delivery URL"),
    printcolumn(
        name = "Events",
        type_ = "string",
        json_path = ".spec.eventTypes",
        description = "Subscribed event types"
    ),
    printcolumn(
        name = "Active",
        type_ = "boolean",
        json_path = ".spec.active",
        description = "Whether the provider delivers events"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status",
        description = "Whether the remote webhook equals the spec"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Synced\")].reason",
        description = "Outcome of the last reconcile"
    ),
    printcolumn(name = "ID", type_ = "string", json_path = ".status.webhookId", description = "Remote webhook id"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[x_kube(validation = Rule::new("has(self.mendix) != has(self.socotra)")
    .message("exactly one provider block must be set: spec.mendix or spec.socotra"))]
#[x_kube(validation = reserved_header_name_rule())]
#[x_kube(validation = reserved_header_prefix_rule())]
#[x_kube(validation = mendix_display_name_rule())]
#[x_kube(validation = mendix_single_header_values_rule())]
#[x_kube(validation = socotra_unsigned_rule())]
#[serde(rename_all = "camelCase")]
pub struct WebhookSpec {
    /// The provider object (API endpoint and credentials) used to manage this webhook. A
    /// WebhookProvider must be in this Webhook's namespace; a ClusterWebhookProvider can be used
    /// from any namespace. Immutable: a remote webhook belongs to one provider account, so to
    /// move it, create a new Webhook (and delete this one).
    #[x_kube(validation = Rule::new("self == oldSelf")
        .message("providerRef is immutable: create a new Webhook for the other provider, then delete this one"))]
    pub provider_ref: ProviderRef,

    /// Where the webhook lives in Mendix. Exactly one of mendix or socotra must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mendix: Option<MendixTarget>,

    /// A webhook in Socotra: the tenant is the provider's (spec.socotra.tenantLocator of the
    /// WebhookProvider or ClusterWebhookProvider). Exactly one of mendix or socotra must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socotra: Option<SocotraTarget>,

    /// Name of the webhook at the provider (shown in its portal). For Mendix: letters, digits,
    /// underscores and spaces only. Default: derived from this object's namespace, name and
    /// UID, and stable for the object's life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub display_name: Option<String>,

    /// Absolute http:// or https:// URL the provider delivers events to, e.g.
    /// https://ci.example.com/hooks/mendix. At most 65536 characters.
    #[schemars(length(min = 1, max = 65536))]
    #[x_kube(validation = Rule::new(HTTP_URL_RULE)
        .message("must be an absolute http:// or https:// URL with a host, e.g. https://ci.example.com/hooks/mendix"))]
    pub url: String,

    /// Event types to subscribe to, e.g. package.uploaded and teamserver.push for Mendix. At
    /// least one; each at most once.
    #[schemars(length(min = 1, max = 64), inner(length(min = 1, max = 253)))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub event_types: Vec<String>,

    /// Whether the provider delivers events to the URL. Default: true.
    #[serde(default = "default_true")]
    pub active: bool,

    /// Secret key holding the validation (signing) secret the provider signs deliveries with
    /// (Mendix only: Socotra does not sign deliveries this way). For Mendix it must match
    /// ^(whsec_)?[a-zA-Z0-9+/=]{32,100}$. When not set, hookwright generates a secret once and
    /// stores it in the Secret "<webhook name>-validation-secret" (key "secret"), owned by this
    /// Webhook, so receivers can mount it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_secret_ref: Option<SecretKeyRef>,

    /// Extra HTTP headers the provider sends with every delivery, each with a literal value or a
    /// value from a Secret (Socotra: or several values, with values). Names are unique
    /// (case-insensitive); for Mendix, names it reserves (such as User-Agent, Content-Type, or
    /// X-Amz-* and Svix-* prefixes) are rejected.
    #[serde(default)]
    #[schemars(length(max = 32))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    #[x_kube(validation = Rule::new("self.all(h, self.exists_one(o, o.name.lowerAscii() == h.name.lowerAscii()))")
        .message("header names must be unique (compared case-insensitively)"))]
    pub headers: Vec<HeaderSpec>,

    /// What happens to the remote webhook when this object is deleted: Delete (default) removes
    /// it at the provider; Orphan leaves it there.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// When true, hookwright stops changing the remote webhook (no create, update or repair);
    /// deleting the object still works. Default: false.
    #[serde(default)]
    pub suspend: bool,
}

/// Location of a webhook in Mendix.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct MendixTarget {
    /// Mendix app id (a UUID such as 76ef1b0f-4050-4810-a159-cb419268636c). Immutable: to move a
    /// webhook to another app, create a new Webhook.
    #[schemars(length(max = 36))]
    #[x_kube(validation = Rule::new(
        "self.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')"
    ).message("must be a Mendix app id: a UUID such as 76ef1b0f-4050-4810-a159-cb419268636c"))]
    #[x_kube(validation = Rule::new("self == oldSelf")
        .message("is immutable: create a new Webhook to manage a webhook of another app"))]
    pub app_id: String,
}

/// A webhook in Socotra: what is Socotra's alone (the tenant comes from the provider).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SocotraTarget {
    /// What Socotra does when deliveries fail (alerting, retries, diverting or suspending).
    /// Passed to Socotra as given; when removed from the spec it is removed remotely too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_handling: Option<FailureHandling>,
}

/// Socotra's failure handling of a webhook, as its feature guide describes it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FailureHandling {
    /// Where Socotra sends an alert when deliveries fail (absolute http(s) URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = Rule::new(HTTP_URL_RULE).message("must be an absolute http:// or https:// URL with a host"))]
    pub alert_endpoint: Option<String>,

    /// Which failures count: any of 4xx, 5xx and timeout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 3))]
    #[x_kube(validation = Rule::new("self.all(t, t in ['4xx', '5xx', 'timeout'])")
        .message("each trigger is one of 4xx, 5xx, timeout"))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub triggers: Vec<String>,

    /// How failed deliveries are retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryStrategy>,

    /// What happens after the retries fail: divert (keep the events as diverted events) or
    /// suspend (the webhook is suspended until unsuspended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self in ['divert', 'suspend']").message("must be divert or suspend"))]
    pub on_failure: Option<String>,
}

/// Retry strategy of Socotra's failure handling.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RetryStrategy {
    /// linear or exponential.
    #[x_kube(validation = Rule::new("self in ['linear', 'exponential']").message("must be linear or exponential"))]
    pub strategy: String,
    /// Seconds between attempts (the first interval for exponential).
    #[schemars(range(min = 1, max = 86400))]
    pub interval_seconds: u32,
    /// Attempts, 1 to 10.
    #[schemars(range(min = 1, max = 10))]
    pub attempts: u32,
}

/// One extra HTTP header sent with every delivery. Set exactly one of value, valueFrom or
/// (Socotra only) values.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("[has(self.value), has(self.valueFrom), has(self.values)].filter(x, x).size() == 1")
    .message("set exactly one of value, valueFrom or values"))]
pub struct HeaderSpec {
    /// HTTP header name, e.g. Authorization or X-Team. Must be a valid HTTP token; for Mendix
    /// not a name it reserves (compared case-insensitively): user-agent, keep-alive,
    /// proxy-authenticate, proxy-authorization, te, trailers, transfer-encoding, upgrade, age,
    /// cache-control, clear-site-data, expires, pragma, warning, content-length, content-type,
    /// content-encoding, content-language, content-location, or names starting with x-amz-,
    /// x-amzn-, x-google, x-goog-, x-gfe, x-azure-, x-fd-, x-svix-, svix-.
    #[schemars(length(min = 1, max = 256))]
    #[x_kube(validation = Rule::new(r#"self.matches("^[-!#$%&'*+.^_`|~0-9A-Za-z]+$")"#)
        .message("must be a valid HTTP header name: letters, digits and !#$%&'*+-.^_`|~ only"))]
    pub name: String,

    /// Literal header value. Visible to everyone who can read this object: put credentials in a
    /// Secret and use valueFrom instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub value: Option<String>,

    /// Take the header value from a Secret in this namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<HeaderValueSource>,

    /// Socotra only: several values for this header, in order, each a literal value or one from
    /// a Secret (Socotra keeps a list of values per header name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 16))]
    pub values: Option<Vec<HeaderValue>>,
}

/// One value of a header: a literal value or one from a Secret.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.value) != has(self.valueFrom)")
    .message("set exactly one of value or valueFrom"))]
pub struct HeaderValue {
    /// Literal value (visible to everyone who can read this object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub value: Option<String>,
    /// Take the value from a Secret in this namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<HeaderValueSource>,
}

/// Source of a header value.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct HeaderValueSource {
    /// Secret key (in this Webhook's namespace) holding the header value.
    pub secret_key_ref: SecretKeyRef,
}

/// Observed state of a Webhook, written by hookwright.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    /// The metadata.generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Id of the remote webhook at the provider (for Mendix e.g. mxep_mfiHo9gZw6RcGisubUfhyfuCllim5q,
    /// for Socotra its locator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,

    /// Where the webhook lives at the provider: the Mendix app id or the Socotra tenant locator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,

    /// Set (RFC 3339) while the provider reports the remote webhook suspended (Socotra suspends
    /// a webhook after repeated delivery failures); hookwright unsuspends it when spec.active
    /// is true, and leaves it alone when spec.active is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<String>,

    /// When the remote webhook was last confirmed equal to the spec (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<String>,

    /// Hash (sha256, hex, truncated) over everything last pushed to the provider: spec fields,
    /// validation secret and header values together. Used to detect Secret rotations without
    /// storing secrets; no secret can be read from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_hash: Option<String>,

    /// Set (RFC 3339) while a create request may have been sent but its id is not yet recorded,
    /// so a restarted operator looks for the webhook before creating another one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_pending_since: Option<String>,

    /// The remote name sent by the pending create (set together with createPendingSince), so
    /// the webhook it made is found even if the spec changes before it is recovered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_pending_name: Option<String>,

    /// The URL sent by the pending create (set together with createPendingSince).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_pending_url: Option<String>,

    /// The last value of the hookwright.dev/reconcile-requested-at annotation that was acted
    /// on; a different value forces a full resync (read back and repair).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile_request_handled: Option<String>,

    /// The last value of the hookwright.dev/test-delivery-requested-at annotation that was
    /// acted on (one test delivery per new value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_delivery_handled: Option<String>,

    /// Current state: Ready (remote webhook equals the spec), Synced (outcome of the last
    /// reconcile, with a stable reason such as Created, Updated, UpToDate, SecretNotFound,
    /// InvalidSpec, Unauthorized, RateLimited) and, after a test delivery, Delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
}

impl WebhookStatus {
    /// Forgets a pending create (its outcome is known now).
    pub fn clear_pending_create(&mut self) {
        self.create_pending_since = None;
        self.create_pending_name = None;
        self.create_pending_url = None;
    }
}
