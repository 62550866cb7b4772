//! What a window that attaches to a queue in progress must be told to draw it: the queue, the
//! model, the run's plan with the samples finished so far, the model load, and the sample in
//! flight (its prompt and image).

use std::collections::HashMap;

use mobench_engine::events::{Event, PlannedDatasetInfo};

use super::events::{LiveEvent, QueueEvent};

/// What a newly attached window needs to draw the run in progress: the queue, the model, the
/// run's plan with the samples finished so far, and the model load.
#[derive(Default)]
pub(super) struct Replay {
    queue: Option<QueueEvent>,
    model: Option<QueueEvent>,
    run: Option<Event>,
    loaded: Option<Event>,
    /// The sample in flight: its question and image stay on screen until it finishes.
    sample: Option<Event>,
    done: usize,
    per_dataset: HashMap<String, usize>,
}

impl Replay {
    pub(super) fn note(&mut self, event: &LiveEvent) {
        match event {
            LiveEvent::Queue(q @ QueueEvent::QueueStarted { .. }) => self.queue = Some(q.clone()),
            LiveEvent::Queue(m @ QueueEvent::ModelStarted { .. }) => {
                *self = Replay {
                    queue: self.queue.take(),
                    model: Some(m.clone()),
                    ..Replay::default()
                }
            }
            LiveEvent::Run(r @ Event::RunStarted { already_done, .. }) => {
                self.done = *already_done;
                self.run = Some(r.clone());
            }
            LiveEvent::Run(l @ Event::ModelLoaded { .. }) => self.loaded = Some(l.clone()),
            LiveEvent::Run(s @ Event::SampleStarted { .. }) => self.sample = Some(s.clone()),
            LiveEvent::Run(Event::SampleFinished { dataset, done, .. }) => {
                self.sample = None;
                self.done = *done;
                *self.per_dataset.entry(dataset.clone()).or_default() += 1;
            }
            _ => {}
        }
    }

    /// The events that bring a fresh window to where the run is now.
    pub(super) fn events(&self) -> Vec<LiveEvent> {
        let mut out: Vec<LiveEvent> = [&self.queue, &self.model]
            .into_iter()
            .flatten()
            .cloned()
            .map(LiveEvent::Queue)
            .collect();
        if let Some(Event::RunStarted {
            run_id,
            model,
            resumed,
            total,
            datasets,
            ..
        }) = &self.run
        {
            let datasets = datasets
                .iter()
                .map(|d| PlannedDatasetInfo {
                    already_done: d.already_done
                        + self.per_dataset.get(&d.dataset).copied().unwrap_or(0),
                    ..d.clone()
                })
                .collect();
            out.push(LiveEvent::Run(Event::RunStarted {
                run_id: *run_id,
                model: model.clone(),
                resumed: *resumed,
                total: *total,
                already_done: self.done,
                datasets,
            }));
        }
        out.extend(self.loaded.clone().map(LiveEvent::Run));
        out.extend(self.sample.clone().map(LiveEvent::Run));
        out
    }
}
