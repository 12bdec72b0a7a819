//! A map kept up to date from the Webhook watch, the way the reflector keeps its store: events
//! apply to the live map, and a re-list (`Init` … `InitDone`) builds a fresh map that replaces
//! it when complete, so objects deleted while the watch was down drop out.
use kube::runtime::watcher::Event;

use crate::crd::Webhook;

/// What a map kept from the watch does with one object.
pub trait FromWatch: Default {
    /// Records `wh` (replacing what was recorded for it before).
    fn set(&mut self, wh: &Webhook);
    /// Forgets `wh`.
    fn remove(&mut self, wh: &Webhook);
}

/// The live map and, during a re-list, the one being built.
#[derive(Default)]
pub struct WatchIndex<M> {
    live: M,
    relist: Option<M>,
}

impl<M: FromWatch> WatchIndex<M> {
    /// Feeds one event of the Webhook watch.
    pub fn observe(&mut self, event: &Event<Webhook>) {
        match event {
            Event::Apply(wh) => self.live.set(wh),
            Event::Delete(wh) => self.live.remove(wh),
            Event::Init => self.relist = Some(M::default()),
            Event::InitApply(wh) => self.relist.get_or_insert_with(M::default).set(wh),
            Event::InitDone => {
                if let Some(fresh) = self.relist.take() {
                    self.live = fresh;
                }
            }
        }
    }

    /// The map as of the last complete list plus the events since.
    pub fn live(&self) -> &M {
        &self.live
    }
}
