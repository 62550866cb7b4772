//! Helpers for tests that watch a run queue (this crate's and the app's), behind the `testkit`
//! feature.

use std::sync::mpsc;
use std::time::Duration;

use crate::runs::{LiveEvent, QueueEvent};

/// The events up to and including the first that `last` accepts; panics, naming what came,
/// when nothing arrives for two minutes.
pub fn until(rx: &mpsc::Receiver<LiveEvent>, last: impl Fn(&LiveEvent) -> bool) -> Vec<LiveEvent> {
    let mut events = Vec::new();
    loop {
        let e = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no further event after {events:?}"));
        let done = last(&e);
        events.push(e);
        if done {
            return events;
        }
    }
}

/// The events of a queue, up to and including its `QueueFinished`.
pub fn until_finished(rx: &mpsc::Receiver<LiveEvent>) -> Vec<LiveEvent> {
    until(rx, |e| {
        matches!(e, LiveEvent::Queue(QueueEvent::QueueFinished { .. }))
    })
}
