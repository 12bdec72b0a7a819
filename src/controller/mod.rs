//! The `Webhook` controller: watches, triggers and the reconcile loop.
pub mod cached;
pub mod claims;
pub mod conditions;
pub mod context;
pub mod converge;
pub mod create_intent;
pub mod dependents;
pub mod drift_sweep;
pub mod error;
pub mod identity;
pub mod index;
pub mod provider;
pub mod provider_status;
pub mod reconcile;
pub mod remembered;
pub mod report;
pub mod resolved_cache;
pub mod slim;
pub mod suspects;
pub mod trigger_backoff;
pub mod trigger_filter;
pub mod unseen_writes;
pub mod watch_index;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Config as ControllerConfig, Controller};
use kube::runtime::reflector;
use kube::runtime::{WatchStreamExt, watcher};

use crate::crd::{ClusterWebhookProvider, ProviderKind, Webhook, WebhookProvider};
use cached::{CachedWebhook, WebhookRef};
use context::Context;
use index::Index;
use trigger_filter::TriggerFilter;

/// How the controller runs (from `hookwright run`).
pub struct RunOptions {
    /// Watch only this namespace (namespace-scoped install); all namespaces when `None`.
    pub namespace: Option<String>,
    pub concurrency: u16,
}

fn api<K>(client: &kube::Client, ns: &Option<String>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Runs the controller until `shutdown` resolves. `ready` turns true once the Webhook cache
/// has its first full list.
pub async fn run(
    ctx: Arc<Context>,
    opts: RunOptions,
    ready: Arc<AtomicBool>,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let client = ctx.client.clone();
    let wc = watcher::Config::default();

    // The cache holds packed Webhooks (`cached.rs`); the reverse maps and the trigger filter
    // read each event's whole object before it is packed.
    let (webhooks, mut webhook_writer) = reflector::store::<CachedWebhook>();
    let watch_ctx = ctx.clone();
    let mut triggers = TriggerFilter::default();
    let webhook_stream = watcher(api::<Webhook>(&client, &opts.namespace), wc.clone())
        .default_backoff()
        .modify(|wh| slim::strip(&mut wh.metadata))
        .map_ok(move |event| {
            watch_ctx.claims.observe(&event);
            watch_ctx.dependents.observe(&event);
            watch_ctx.unseen_writes.observe(&event);
            let admitted = triggers.admit(&event);
            let event = cached::event(event);
            webhook_writer.apply_watcher_event(&event);
            match event {
                watcher::Event::Apply(obj) | watcher::Event::InitApply(obj) if admitted => Some(obj),
                _ => None,
            }
        })
        .try_filter_map(|obj| futures::future::ready(Ok(obj)));

    // One watch per provider kind, shared by this controller (a spec change re-triggers the
    // Webhooks using the provider) and the provider-status controllers.
    let Some(namespaced) = shared_watch::<WebhookProvider>(api(&client, &opts.namespace), true) else {
        return tracing::error!("cannot subscribe to the shared WebhookProvider watch");
    };
    // A namespace-scoped install leaves ClusterWebhookProvider status to a cluster-wide one.
    let cluster_status = opts.namespace.is_none();
    let Some(cluster) = shared_watch::<ClusterWebhookProvider>(Api::all(client.clone()), cluster_status) else {
        return tracing::error!("cannot subscribe to the shared ClusterWebhookProvider watch");
    };
    let (providers, cluster_providers) = (namespaced.store.clone(), cluster.store.clone());
    ctx.set_provider_stores(providers.clone(), cluster_providers.clone());
    let provider_stream = generation_changes(namespaced.for_webhooks);
    let cluster_stream = generation_changes(cluster.for_webhooks);
    let drivers = [tokio::spawn(namespaced.driver), tokio::spawn(cluster.driver)];

    // Secrets: one metadata-only watch (no data cached); a change re-triggers the Webhooks
    // and the providers using it.
    let secret_stream = secret_watch(&client, &opts.namespace);

    let index = Index { ctx: ctx.clone(), providers, cluster_providers };
    let (i1, i2, i3) = (index.clone(), index.clone(), index);

    let store = webhooks.clone();
    tokio::spawn(async move {
        // The store's readiness signal wakes only its most recent waiter (the controller), so
        // ask again every second instead of waiting once.
        loop {
            match tokio::time::timeout(Duration::from_secs(1), store.wait_until_ready()).await {
                Ok(Ok(())) => break ready.store(true, Ordering::SeqCst),
                Ok(Err(_)) => break,
                Err(_) => continue,
            }
        }
    });

    let status_controllers = tokio::spawn(run_provider_controllers(
        ctx.clone(),
        (namespaced.store, namespaced.for_status),
        (cluster.store, cluster.for_status),
    ));

    let (drift_tx, drift_rx) = tokio::sync::mpsc::unbounded_channel();
    let sweep = tokio::spawn(drift_sweep::run(ctx.clone(), webhooks.clone(), drift_tx));

    Controller::for_stream(webhook_stream, webhooks)
        .with_config(ControllerConfig::default().concurrency(opts.concurrency).debounce(Duration::from_millis(200)))
        .trigger_backoff(trigger_backoff::Constant(Duration::from_millis(100)))
        .reconcile_on(tokio_stream_of(drift_rx))
        .watches_shared_stream(provider_stream, move |p: Arc<WebhookProvider>| {
            i1.provider_users(ProviderKind::WebhookProvider, p.namespace().as_deref(), &p.name_any())
        })
        .watches_shared_stream(cluster_stream, move |p: Arc<ClusterWebhookProvider>| {
            i2.provider_users(ProviderKind::ClusterWebhookProvider, None, &p.name_any())
        })
        .watches_stream(secret_stream, {
            let ctx = ctx.clone();
            move |s| -> Vec<WebhookRef> {
                let (ns, name) = (s.namespace().unwrap_or_default(), s.name_any());
                if ctx.unseen_writes.is_own(&format!("{ns}/{name}"), s.metadata.resource_version.as_deref()) {
                    return Vec::new();
                }
                for provider in i3.token_secret_providers(&ns, &name) {
                    ctx.resolved.forget(&provider.id());
                    ctx.refresh_provider(&provider);
                }
                i3.secret_users(&ns, &name)
            }
        })
        .graceful_shutdown_on(shutdown)
        .run(reconcile::reconcile, reconcile::error_policy, ctx)
        .for_each(|res| async move {
            if let Err(e) = res {
                tracing::debug!(error = %e, "controller event");
            }
        })
        .await;
    status_controllers.abort();
    sweep.abort();
    for d in drivers {
        d.abort();
    }
}

/// Events buffered per subscriber of a shared provider watch.
const SHARED_BUFFER: usize = 1024;

/// One watch of a provider kind: its store, the subscription of the Webhook controller, the
/// subscription of the status controller (when it runs: an unread subscription would hold the
/// watch back), and the future that drives the watch.
struct SharedWatch<K: kube::Resource + Clone + 'static>
where
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    store: reflector::Store<K>,
    for_webhooks: reflector::ReflectHandle<K>,
    for_status: Option<reflector::ReflectHandle<K>>,
    driver: futures::future::BoxFuture<'static, ()>,
}

fn shared_watch<K>(api: Api<K>, with_status: bool) -> Option<SharedWatch<K>>
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    let (store, writer) = reflector::store_shared::<K>(SHARED_BUFFER);
    let for_webhooks = writer.subscribe()?;
    let for_status = if with_status { Some(writer.subscribe()?) } else { None };
    let driver = Box::pin(
        watcher(api, watcher::Config::default())
            .default_backoff()
            .reflect_shared(writer)
            .for_each(|_| futures::future::ready(())),
    );
    Some(SharedWatch { store, for_webhooks, for_status, driver })
}

/// Only objects whose spec changed (a new generation) pass: a provider's status writes do not
/// re-trigger every Webhook that uses it.
fn generation_changes<K>(objects: impl futures::Stream<Item = Arc<K>>) -> impl futures::Stream<Item = Arc<K>>
where
    K: kube::Resource,
{
    let mut seen: std::collections::HashMap<String, Option<i64>> = std::collections::HashMap::new();
    objects.filter(move |o| {
        let uid = o.meta().uid.clone().unwrap_or_default();
        let generation = o.meta().generation;
        futures::future::ready(seen.insert(uid, generation) != Some(generation))
    })
}

fn secret_watch(
    client: &kube::Client,
    ns: &Option<String>,
) -> impl futures::Stream<Item = Result<PartialObjectMeta<Secret>, watcher::Error>> + use<> {
    let api: Api<PartialObjectMeta<Secret>> = match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    watcher(api, watcher::Config::default()).default_backoff().touched_objects()
}

/// The two provider-status controllers, on the shared provider watches, refreshed by provider
/// changes and by requests through the context (token Secret changes seen by the Webhook
/// controller's Secret watch, and what Webhook reconciles learn about tokens). Without a
/// subscription (a namespace-scoped install), ClusterWebhookProvider status is left to a
/// cluster-wide install, so two installs never overwrite each other's view of a shared provider.
async fn run_provider_controllers(
    ctx: Arc<Context>,
    namespaced: (reflector::Store<WebhookProvider>, Option<reflector::ReflectHandle<WebhookProvider>>),
    cluster: (reflector::Store<ClusterWebhookProvider>, Option<reflector::ReflectHandle<ClusterWebhookProvider>>),
) {
    use provider_status::{error_policy, reconcile};
    let Some(triggers) = ctx.take_provider_triggers() else { return };
    // Spec changes only: the controller's own status write (the remaining rate budget moves
    // with every call) must not trigger it again, or it rewrites status while calls go on.
    let namespaced_run = namespaced.1.map(|events| {
        Controller::for_shared_stream(generation_changes(events), namespaced.0)
            .reconcile_on(tokio_stream_of(triggers.namespaced))
            .run(reconcile::<WebhookProvider>, error_policy::<WebhookProvider>, ctx.clone())
            .for_each(|_| async {})
    });
    let cluster_run = cluster.1.map(|events| {
        Controller::for_shared_stream(generation_changes(events), cluster.0)
            .reconcile_on(tokio_stream_of(triggers.cluster))
            .run(reconcile::<ClusterWebhookProvider>, error_policy::<ClusterWebhookProvider>, ctx)
            .for_each(|_| async {})
    });
    futures::join!(
        async move {
            if let Some(run) = namespaced_run {
                run.await;
            }
        },
        async move {
            if let Some(run) = cluster_run {
                run.await;
            }
        }
    );
}

fn tokio_stream_of<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<T>,
) -> impl futures::Stream<Item = T> + Send {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
