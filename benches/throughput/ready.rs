//! Counts Ready Webhooks from a watch (cheaper for the apiserver than listing N objects a second).
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use hookwright::crd::Webhook;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

/// Ready: the current generation applied, condition Ready=True, a remote id.
pub fn is_ready(w: &Webhook) -> bool {
    w.status.as_ref().is_some_and(|s| {
        s.observed_generation == w.metadata.generation
            && s.webhook_id.is_some()
            && s.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
    })
}

pub struct Tracker {
    ready: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Tracker {
    pub fn start(api: Api<Webhook>) -> Tracker {
        let ready = Arc::new(AtomicUsize::new(0));
        let count = ready.clone();
        let task = tokio::spawn(async move {
            let mut state: HashMap<String, bool> = HashMap::new();
            let mut init: HashMap<String, bool> = HashMap::new();
            let mut stream = watcher::watcher(api, watcher::Config::default()).default_backoff().boxed();
            let mut n = 0usize;
            while let Some(ev) = stream.next().await {
                match ev {
                    Ok(Event::Apply(w)) => {
                        let now = is_ready(&w);
                        let was = state.insert(w.name_any(), now).unwrap_or(false);
                        n = n + usize::from(now) - usize::from(was);
                    }
                    Ok(Event::Delete(w)) => {
                        n -= usize::from(state.remove(&w.name_any()).unwrap_or(false));
                    }
                    Ok(Event::Init) => init.clear(),
                    Ok(Event::InitApply(w)) => {
                        init.insert(w.name_any(), is_ready(&w));
                    }
                    Ok(Event::InitDone) => {
                        state = std::mem::take(&mut init);
                        n = state.values().filter(|r| **r).count();
                    }
                    Err(_) => continue,
                }
                count.store(n, Ordering::Relaxed);
            }
        });
        Tracker { ready, task }
    }

    pub fn ready(&self) -> usize {
        self.ready.load(Ordering::Relaxed)
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.task.abort();
    }
}
