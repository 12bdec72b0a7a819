//! The Webhook as the controller's cache holds it: the four metadata fields kube-runtime reads
//! (name, namespace, uid, resourceVersion: object refs, log spans) as fields, and the rest of
//! the object as its JSON, LZ4-compressed against a dictionary (a typical Webhook). A typed
//! `Webhook` in the cache cost about 2.6 KB per object (968 B inline before any string, a
//! `BTreeMap` node of 544 B for one annotation, an allocation per string); its JSON is about
//! 1.2 KB, and compressed about 250 bytes. The reconcile and the drift sweep
//! [`unpack`](CachedWebhook::unpack) the objects they work on, which takes a microsecond.
use std::borrow::Cow;
use std::sync::OnceLock;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::Event;

use crate::crd::Webhook;

/// A reference to a Webhook in the controller's cache (what triggers a reconcile).
pub type WebhookRef = ObjectRef<CachedWebhook>;

/// A Webhook's "namespace/name" (names hold no slash): the one string per object that the
/// controller's own maps keep instead of a reference.
pub fn key(wh: &Webhook) -> String {
    format!(
        "{}/{}",
        wh.metadata.namespace.as_deref().unwrap_or_default(),
        wh.metadata.name.as_deref().unwrap_or_default()
    )
}

/// The reference of the Webhook whose [`key`] is `key`.
pub fn reference_of(key: &str) -> WebhookRef {
    let (ns, name) = key.split_once('/').unwrap_or(("", key));
    ObjectRef::new(name).within(ns)
}

#[derive(Clone, Debug)]
pub struct CachedWebhook {
    /// Name, namespace, uid and resourceVersion only.
    metadata: ObjectMeta,
    /// The rest of the object: its JSON, compressed, its length prepended.
    body: Box<[u8]>,
}

/// Why a cached object could not be read back (never expected: it was written by `pack`).
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("decompressing: {0}")]
    Decompress(#[from] lz4_flex::block::DecompressError),
    #[error("decoding: {0}")]
    Json(#[from] serde_json::Error),
}

impl CachedWebhook {
    /// Packs `wh` (already [stripped](super::slim::strip)).
    pub fn pack(mut wh: Webhook) -> CachedWebhook {
        let m = &mut wh.metadata;
        let metadata = ObjectMeta {
            name: m.name.take(),
            namespace: m.namespace.take(),
            uid: m.uid.take(),
            resource_version: m.resource_version.take(),
            ..ObjectMeta::default()
        };
        // A Webhook always serializes (string-keyed maps only); an empty body would fail to
        // unpack, and the reconcile would report it.
        let json = serde_json::to_vec(&wh).unwrap_or_default();
        let body = lz4_flex::block::compress_prepend_size_with_dict(&json, dictionary()).into_boxed_slice();
        CachedWebhook { metadata, body }
    }

    /// The whole object again.
    pub fn unpack(&self) -> Result<Webhook, UnpackError> {
        let json = lz4_flex::block::decompress_size_prepended_with_dict(&self.body, dictionary())?;
        let mut wh: Webhook = serde_json::from_slice(&json)?;
        let m = &mut wh.metadata;
        m.name.clone_from(&self.metadata.name);
        m.namespace.clone_from(&self.metadata.namespace);
        m.uid.clone_from(&self.metadata.uid);
        m.resource_version.clone_from(&self.metadata.resource_version);
        Ok(wh)
    }

    /// The object's reference, for triggering its reconcile.
    pub fn reference(wh: &Webhook) -> WebhookRef {
        reference_of(&key(wh))
    }
}

/// What a packed Webhook is compressed against: the JSON of a typical one, as `pack` writes it
/// (so its keys come in the same order). Made once; the same in every process of a version.
fn dictionary() -> &'static [u8] {
    static DICTIONARY: OnceLock<Vec<u8>> = OnceLock::new();
    DICTIONARY.get_or_init(crate::crd::typical_webhook_json)
}

/// A watch event about Webhooks as one about cached Webhooks.
pub fn event(event: Event<Webhook>) -> Event<CachedWebhook> {
    match event {
        Event::Apply(wh) => Event::Apply(CachedWebhook::pack(wh)),
        Event::Delete(wh) => Event::Delete(CachedWebhook::pack(wh)),
        Event::Init => Event::Init,
        Event::InitApply(wh) => Event::InitApply(CachedWebhook::pack(wh)),
        Event::InitDone => Event::InitDone,
    }
}

impl Resource for CachedWebhook {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        Webhook::kind(dt)
    }
    fn group(dt: &()) -> Cow<'_, str> {
        Webhook::group(dt)
    }
    fn version(dt: &()) -> Cow<'_, str> {
        Webhook::version(dt)
    }
    fn plural(dt: &()) -> Cow<'_, str> {
        Webhook::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// kube-runtime's controller asks its object type to be deserializable; hookwright never reads
/// a `CachedWebhook` from the API (the watch reads Webhooks and packs them).
impl<'de> serde::Deserialize<'de> for CachedWebhook {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Webhook::deserialize(d).map(CachedWebhook::pack)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kube::ResourceExt;

    use super::*;
    use crate::crd::{WebhookSpec, WebhookStatus};

    fn sample() -> Webhook {
        let mut wh = Webhook::new(
            "hook",
            WebhookSpec { url: "https://r.example.com/a".into(), event_types: vec!["x".into()], ..Default::default() },
        );
        wh.metadata.namespace = Some("ns".into());
        wh.metadata.uid = Some("8d5b4f3e-0000-4000-8000-000000000001".into());
        wh.metadata.resource_version = Some("42".into());
        wh.metadata.generation = Some(3);
        wh.metadata.finalizers = Some(vec!["hookwright.dev/cleanup".into()]);
        wh.metadata.annotations = Some(BTreeMap::from([("a".into(), "b".into())]));
        wh.status = Some(WebhookStatus { webhook_id: Some("id-1".into()), ..Default::default() });
        wh
    }

    #[test]
    fn unpack_gives_back_the_packed_object() {
        let wh = sample();
        let cached = CachedWebhook::pack(wh.clone());
        assert_eq!(cached.unpack().unwrap(), wh);
    }

    #[test]
    fn the_fields_kube_runtime_reads_are_fields() {
        let cached = CachedWebhook::pack(sample());
        assert_eq!(cached.name_any(), "hook");
        assert_eq!(cached.namespace().as_deref(), Some("ns"));
        assert_eq!(cached.uid().as_deref(), Some("8d5b4f3e-0000-4000-8000-000000000001"));
        assert_eq!(cached.resource_version().as_deref(), Some("42"));
        assert_eq!(ObjectRef::from_obj(&cached), CachedWebhook::reference(&sample()));
    }

    #[test]
    fn the_dictionary_is_a_webhook_and_shrinks_a_typical_one_to_a_quarter() {
        assert!(dictionary().len() > 800, "the typical Webhook deserializes: {}", dictionary().len());
        let mut wh: Webhook = serde_json::from_slice(dictionary()).unwrap();
        wh.metadata.name = Some("hook-05000".into());
        wh.spec.url = "https://receiver.example.com/5000".into();
        if let Some(s) = wh.status.as_mut() {
            s.webhook_id = Some("mxep_UtiluUqafORy0P1CWaV8SiYtWuf96C".into());
            s.applied_hash = Some("b8c7c24c8c26a728".into());
        }
        let json = serde_json::to_vec(&wh).unwrap().len();
        let cached = CachedWebhook::pack(wh.clone());
        assert!(cached.body.len() * 4 < json, "{} of {json} bytes", cached.body.len());
        assert_eq!(cached.unpack().unwrap(), wh);
    }

    #[test]
    fn a_damaged_body_is_an_error_not_a_panic() {
        let mut cached = CachedWebhook::pack(sample());
        cached.body = cached.body[..cached.body.len() / 2].into();
        assert!(cached.unpack().is_err());
    }
}
