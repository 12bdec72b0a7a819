//! Drift checks (DESIGN §3, step 6), paced per token. Instead of reading every remote webhook
//! back on a timer (one GET per webhook per interval: 6,000 calls an hour for 1,000 webhooks),
//! one task lists each scope (an app, a tenant: `Target::scope`) at most once per `--drift-interval`
//! and hands the Webhooks whose listed summary differs from the spec (or that are missing) to
//! the controller for a full read and repair. The list tells existence, name, URL, event types
//! and active; headers and the validation secret, which it does not show, get a full read in
//! rotation from what is left of the budget. A token never spends more than `--drift-budget`
//! calls an hour on this (default 100: a tenth of a 1,000/hour budget), so with many scopes
//! the interval stretches instead of the budget. The first check of a scope comes a quarter to
//! a whole interval after the operator starts, spread by a hash: a restart costs no call.
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::ResourceExt;
use kube::runtime::reflector::Store;
use tokio::sync::mpsc::UnboundedSender;

use super::cached::{self, CachedWebhook, WebhookRef};
use super::context::Context;
use super::identity::ProviderKey;
use super::provider;
use crate::crd::Webhook;
use crate::providers::{RemoteSummary, desired};

/// How often the sweeper looks for due work.
const TICK: Duration = Duration::from_secs(5);
/// At most every this many ticks (and at least once per drift interval) it also looks for new
/// and gone scopes, a walk over every Webhook.
const RESCAN_TICKS: u32 = 12;
/// A webhook's headers and secret are read in full when its last full read is older than
/// this many drift intervals (and the budget has room).
const FULL_READ_INTERVALS: u32 = 6;

/// Where a group of Webhooks lives: their provider object and scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub provider: ProviderKey,
    pub scope: String,
}

/// When each scope is due and when each token may spend its next call. Pure: times are given.
pub struct Schedule {
    interval: Duration,
    /// Seconds between two drift calls of one token.
    spacing: Duration,
    next_sweep: HashMap<Scope, Instant>,
    next_call: HashMap<[u8; 32], Instant>,
}

impl Schedule {
    pub fn new(interval: Duration, calls_per_hour: u32) -> Self {
        let spacing = Duration::from_secs(3600) / calls_per_hour.max(1);
        Schedule { interval, spacing, next_sweep: HashMap::new(), next_call: HashMap::new() }
    }

    /// The scopes seen now: new ones get their first sweep a quarter to a whole interval
    /// ahead (spread by a hash of the scope), gone ones are forgotten.
    pub fn track(&mut self, scopes: &HashSet<Scope>, now: Instant) {
        self.next_sweep.retain(|s, _| scopes.contains(s));
        for s in scopes {
            let interval = self.interval;
            self.next_sweep.entry(s.clone()).or_insert_with(|| now + interval.mul_f64(0.25 + 0.75 * spread(s)));
        }
    }

    /// The most overdue scope whose token may call now.
    pub fn due(&self, now: Instant, token_of: impl Fn(&Scope) -> Option<[u8; 32]>) -> Option<Scope> {
        let mut due: Vec<(&Scope, &Instant)> = self.next_sweep.iter().filter(|(_, at)| **at <= now).collect();
        due.sort_by(|(a, at_a), (b, at_b)| at_a.cmp(at_b).then_with(|| a.scope.cmp(&b.scope)));
        due.into_iter().map(|(s, _)| s).find(|s| token_of(s).is_none_or(|t| self.may_call(&t, now))).cloned()
    }

    pub fn may_call(&self, token: &[u8; 32], now: Instant) -> bool {
        self.next_call.get(token).is_none_or(|at| *at <= now)
    }

    /// `scope` was swept with `calls` calls of `token`.
    pub fn swept(&mut self, scope: &Scope, token: [u8; 32], calls: u32, now: Instant) {
        self.next_sweep.insert(scope.clone(), now + self.interval);
        self.spent(token, calls, now);
    }

    /// `token` spent `calls` drift calls now: its next one waits `calls` spacings.
    pub fn spent(&mut self, token: [u8; 32], calls: u32, now: Instant) {
        let from = self.next_call.get(&token).copied().filter(|t| *t > now).unwrap_or(now);
        self.next_call.insert(token, from + self.spacing * calls);
    }

    /// A full read of one webhook is due when nothing was read back for this long.
    pub fn full_read_age(&self) -> Duration {
        self.interval * FULL_READ_INTERVALS
    }
}

/// A stable number in [0, 1) for `scope`.
fn spread(scope: &Scope) -> f64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    scope.hash(&mut h);
    (h.finish() % 10_000) as f64 / 10_000.0
}

/// The Webhooks a sweep can check: not being deleted, not suspended, with a remote id.
pub fn checkable(wh: &Webhook) -> Option<(Scope, &str)> {
    if wh.metadata.deletion_timestamp.is_some() || wh.spec.suspend {
        return None;
    }
    let status = wh.status.as_ref()?;
    let id = status.webhook_id.as_deref()?;
    let scope = status.location.clone()?;
    Some((Scope { provider: provider::key_of(wh), scope }, id))
}

/// What the list shows differs from the spec (event types compare as sets).
pub fn summary_differs(wh: &Webhook, remote: &RemoteSummary) -> bool {
    let (ns, name) = (wh.namespace().unwrap_or_default(), wh.name_any());
    let want: HashSet<&String> = wh.spec.event_types.iter().collect();
    let have: HashSet<&String> = remote.event_types.iter().collect();
    remote.name != desired::remote_name(wh, &ns, &name)
        || remote.url != wh.spec.url
        || remote.active != wh.spec.active
        || want != have
}

/// The checkable Webhooks by scope, as of the last rescan, with when each was last read back
/// in full. Unpacking every cached object happens once per rescan, not once per tick; a sweep
/// takes its members' current objects from the cache. Members are kept by reference, not as
/// objects: the cache's replaced objects are freed at once, not at the next rescan.
#[derive(Default)]
struct Members {
    by_scope: HashMap<Scope, Vec<Member>>,
}

struct Member {
    /// "namespace/name".
    key: Box<str>,
    last_synced: Option<jiff::Timestamp>,
}

impl Member {
    fn reference(&self) -> WebhookRef {
        cached::reference_of(&self.key)
    }
}

impl Members {
    fn scan(store: &Store<CachedWebhook>) -> Members {
        let mut by_scope: HashMap<Scope, Vec<Member>> = HashMap::new();
        for obj in store.state() {
            let Ok(wh) = obj.unpack() else { continue };
            let Some((scope, _)) = checkable(&wh) else { continue };
            let last_synced = wh.status.as_ref().and_then(|s| s.last_synced_at.as_deref()?.parse().ok());
            let key = cached::key(&wh).into_boxed_str();
            by_scope.entry(scope).or_default().push(Member { key, last_synced });
        }
        Members { by_scope }
    }

    fn scopes(&self) -> HashSet<Scope> {
        self.by_scope.keys().cloned().collect()
    }

    /// The current objects of `scope`'s members that still belong to it.
    fn current(&self, store: &Store<CachedWebhook>, scope: &Scope) -> Vec<Webhook> {
        let members = self.by_scope.get(scope).map(Vec::as_slice).unwrap_or_default();
        members
            .iter()
            .filter_map(|m| store.get(&m.reference())?.unpack().ok())
            .filter(|wh| checkable(wh).is_some_and(|(s, _)| s == *scope))
            .collect()
    }
}

/// Runs until the process ends: every [`TICK`], sweeps the most overdue scope whose token has
/// budget, and spends what is left on full reads of the longest-unread webhooks.
pub async fn run(ctx: Arc<Context>, store: Store<CachedWebhook>, trigger: UnboundedSender<WebhookRef>) {
    let mut schedule = Schedule::new(ctx.settings.drift_interval, ctx.settings.drift_budget);
    let mut tokens: HashMap<ProviderKey, [u8; 32]> = HashMap::new();
    let mut members = Members::default();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let rescan = u32::try_from(ctx.settings.drift_interval.as_secs() / TICK.as_secs())
        .unwrap_or(u32::MAX)
        .clamp(1, RESCAN_TICKS);
    let mut ticks = 0u32;
    loop {
        ticker.tick().await;
        let now = Instant::now();
        if ticks.is_multiple_of(rescan) {
            members = Members::scan(&store);
            schedule.track(&members.scopes(), now);
        }
        ticks = ticks.wrapping_add(1);
        // Every due scope whose token has room, most overdue first: many tokens are swept in
        // one tick, each at its own pace.
        while let Some(scope) = schedule.due(Instant::now(), |s| tokens.get(&s.provider).copied()) {
            let current = members.current(&store, &scope);
            sweep(&ctx, &trigger, &mut schedule, &mut tokens, &current, &scope).await;
        }
        full_read(&ctx, &trigger, &mut schedule, &tokens, &store, &mut members, Instant::now());
    }
}

/// Lists `scope` once and marks its members that differ; records the calls on the schedule
/// (a scope that cannot be listed now is tried again an interval later).
async fn sweep(
    ctx: &Context,
    trigger: &UnboundedSender<WebhookRef>,
    schedule: &mut Schedule,
    tokens: &mut HashMap<ProviderKey, [u8; 32]>,
    members: &[Webhook],
    scope: &Scope,
) {
    let now = Instant::now();
    let Some(first) = members.first() else {
        return schedule.swept(scope, [0; 32], 0, now);
    };
    match provider::resolve(ctx, first).await {
        Ok(resolved) => {
            tokens.insert(scope.provider.clone(), resolved.token_hash);
            let listed = resolved.api.list(&scope.scope).await;
            let calls = listed.as_ref().map_or(1, |l| resolved.api.list_cost(l.len()));
            schedule.swept(scope, resolved.token_hash, calls, now);
            ctx.metrics.drift_calls(u64::from(calls));
            match listed {
                Ok(listed) => suspect(ctx, trigger, members, &listed),
                Err(e) => tracing::debug!(scope = %scope.scope, error = %e, "drift sweep: list failed"),
            }
        }
        // The Webhooks' own reconciles report a provider that cannot be resolved.
        Err(e) => {
            tracing::debug!(error = %e, "drift sweep: provider not resolved");
            schedule.swept(scope, [0; 32], 0, now);
        }
    }
}

/// Marks for a full read every member missing from the listing or differing from it.
fn suspect(ctx: &Context, trigger: &UnboundedSender<WebhookRef>, members: &[Webhook], listed: &[RemoteSummary]) {
    let by_id: HashMap<&str, &RemoteSummary> = listed.iter().map(|s| (s.id.as_str(), s)).collect();
    for wh in members {
        let Some((_, id)) = checkable(wh) else { continue };
        if by_id.get(id).is_none_or(|remote| summary_differs(wh, remote)) {
            ctx.drift_suspects.mark(&wh.uid().unwrap_or_default());
            let _ = trigger.send(CachedWebhook::reference(wh));
        }
    }
}

/// Spends one call of a token with room on the webhook read back longest ago, if that is
/// older than [`Schedule::full_read_age`].
fn full_read(
    ctx: &Context,
    trigger: &UnboundedSender<WebhookRef>,
    schedule: &mut Schedule,
    tokens: &HashMap<ProviderKey, [u8; 32]>,
    store: &Store<CachedWebhook>,
    members: &mut Members,
    now: Instant,
) {
    let cutoff = jiff::Timestamp::now() - jiff::SignedDuration::try_from(schedule.full_read_age()).unwrap_or_default();
    let oldest = members
        .by_scope
        .iter_mut()
        .filter_map(|(scope, list)| Some((*tokens.get(&scope.provider)?, list)))
        .filter(|(token, _)| schedule.may_call(token, now))
        .flat_map(|(token, list)| list.iter_mut().map(move |m| (token, m)))
        .filter(|(_, m)| m.last_synced.is_some_and(|last| last < cutoff))
        .min_by_key(|(_, m)| m.last_synced);
    if let Some((token, member)) = oldest {
        schedule.spent(token, 1, now);
        ctx.metrics.drift_calls(1);
        let r = member.reference();
        if let Some(uid) = store.get(&r).and_then(|obj| obj.uid()) {
            ctx.drift_suspects.mark(&uid);
        }
        let _ = trigger.send(r);
        // Not picked again before the next rescan shows its new read-back time.
        member.last_synced = Some(jiff::Timestamp::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{ProviderKind, WebhookSpec, WebhookStatus};

    const MIN: Duration = Duration::from_secs(60);

    fn scope(n: usize) -> Scope {
        let provider =
            ProviderKey { kind: ProviderKind::WebhookProvider, name: "p".into(), namespace: Some("ns".into()) };
        Scope { provider, scope: format!("app-{n}") }
    }

    /// A schedule tracking 100 scopes from `t0`.
    fn hundred_scopes(interval: Duration, calls_per_hour: u32) -> (Schedule, Instant) {
        let mut s = Schedule::new(interval, calls_per_hour);
        let t0 = Instant::now();
        s.track(&(0..100).map(scope).collect(), t0);
        (s, t0)
    }

    #[test]
    fn a_restart_checks_nothing_for_a_quarter_interval_then_spreads_the_scopes() {
        let (s, t0) = hundred_scopes(10 * MIN, 100_000);
        assert_eq!(s.due(t0 + Duration::from_secs(149), |_| None), None, "nothing in the first 2.5 minutes");
        let firsts: Vec<Duration> = s.next_sweep.values().map(|at| *at - t0).collect();
        assert!(firsts.iter().all(|d| *d >= Duration::from_secs(150) && *d <= 10 * MIN));
        let early = firsts.iter().filter(|d| **d < Duration::from_secs(375)).count();
        assert!((15..=55).contains(&early), "spread over the interval, not bunched: {early} of 100 in the first half");
    }

    #[test]
    fn the_budget_stretches_the_interval_and_never_the_calls() {
        // 100 scopes, a 10-minute interval, 100 calls an hour: one scope every 36 s.
        let (mut s, t0) = hundred_scopes(10 * MIN, 100);
        let token = [7; 32];
        let (mut calls, mut now) = (0u32, t0);
        while now < t0 + Duration::from_secs(3 * 3600) {
            if let Some(due) = s.due(now, |_| Some(token)) {
                s.swept(&due, token, 1, now);
                calls += 1;
            }
            now += Duration::from_secs(1);
        }
        // Three hours at 100 an hour (the first sweeps wait a quarter interval).
        assert!((290..=300).contains(&calls), "{calls}");
    }

    #[test]
    fn each_token_keeps_its_own_pace_so_many_tokens_are_swept_at_once() {
        // 100 scopes over 4 tokens, all due: one sweep per token now, none more until its pace.
        let (mut s, t0) = hundred_scopes(MIN, 100);
        let later = t0 + MIN;
        let token_of = |sc: &Scope| Some([sc.scope.len() as u8 % 2 + 2 * (sc.scope.ends_with('7') as u8); 32]);
        let mut swept = Vec::new();
        while let Some(due) = s.due(later, token_of) {
            let token = token_of(&due).unwrap();
            s.swept(&due, token, 1, later);
            swept.push(token[0]);
        }
        swept.sort_unstable();
        assert_eq!(swept, vec![0, 1, 2, 3], "one scope per token, every token served");
    }

    #[test]
    fn a_list_of_many_pages_counts_every_page_against_the_budget() {
        let mut s = Schedule::new(MIN, 100);
        let (t0, token) = (Instant::now(), [1; 32]);
        s.spent(token, 10, t0);
        assert!(!s.may_call(&token, t0 + Duration::from_secs(359)));
        assert!(s.may_call(&token, t0 + Duration::from_secs(360)));
    }

    fn webhook(url: &str) -> Webhook {
        let mut wh = Webhook::new("hook", WebhookSpec { url: url.into(), active: true, ..Default::default() });
        wh.metadata.namespace = Some("ns".into());
        wh.metadata.uid = Some("0123456789".into());
        wh.spec.event_types = vec!["a".into(), "b".into()];
        wh.status =
            Some(WebhookStatus { webhook_id: Some("id".into()), location: Some("app".into()), ..Default::default() });
        wh
    }

    #[test]
    fn the_summary_tells_url_name_events_and_active_drift() {
        let wh = webhook("https://a");
        let same = RemoteSummary {
            id: "id".into(),
            name: desired::remote_name(&wh, "ns", "hook"),
            url: "https://a".into(),
            event_types: vec!["b".into(), "a".into()],
            active: true,
        };
        assert!(!summary_differs(&wh, &same), "event types compare as a set");
        assert!(summary_differs(&wh, &RemoteSummary { url: "https://elsewhere".into(), ..same.clone() }));
        assert!(summary_differs(&wh, &RemoteSummary { active: false, ..same.clone() }));
        assert!(summary_differs(&wh, &RemoteSummary { name: "renamed".into(), ..same.clone() }));
        assert!(summary_differs(&wh, &RemoteSummary { event_types: vec!["a".into()], ..same }));
    }

    #[test]
    fn only_settled_live_webhooks_are_checked() {
        let wh = webhook("https://a");
        assert_eq!(checkable(&wh).map(|(s, id)| (s.scope, id.to_string())), Some(("app".into(), "id".into())));
        let mut suspended = wh.clone();
        suspended.spec.suspend = true;
        assert!(checkable(&suspended).is_none());
        let mut fresh = wh;
        fresh.status = None;
        assert!(checkable(&fresh).is_none());
    }
}
