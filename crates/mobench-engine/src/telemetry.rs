//! The resource sampler around a run: started before the model loads (so the first reading is
//! the memory baseline), its readings streamed live as events and stored beside the samples,
//! and summarised into the run's resource figures when the run ends.

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use mobench_store::resources::ResourceFigure;
use mobench_store::Store;
use mobench_telemetry::{Phase, PhaseTracker, Reading, Sampler, SamplerConfig, SensorStatus};

use crate::error::EngineError;
use crate::events::Event;

/// Default sampling interval (GUIDE.md: a fixed interval; 250 ms costs well under 0.1% of a core).
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(250);

pub(crate) struct RunTelemetry {
    sampler: Option<Sampler>,
    /// Why there is no sampler, when it could not start.
    start_error: Option<String>,
    sensors: Vec<SensorStatus>,
    tracker: PhaseTracker,
    pending: Arc<Mutex<Vec<Reading>>>,
    latest: Arc<Mutex<Option<Reading>>>,
    interval: Duration,
    session: Option<i64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RunTelemetry {
    /// Starts sampling. A sampler that cannot start never stops the run: the run records why.
    pub(crate) fn start(interval: Duration, events: mpsc::Sender<Event>) -> RunTelemetry {
        let tracker = PhaseTracker::new();
        let pending = Arc::new(Mutex::new(Vec::new()));
        let latest = Arc::new(Mutex::new(None));
        let (p, l) = (pending.clone(), latest.clone());
        let started = Sampler::start(SamplerConfig { interval }, tracker.clone(), move |r| {
            lock(&p).push(r.clone());
            *lock(&l) = Some(r.clone());
            let _ = events.send(Event::Resource(r.clone()));
        });
        let (sampler, start_error) = match started {
            Ok(s) => (Some(s), None),
            Err(e) => {
                tracing::warn!("resource sampler did not start: {e}");
                (
                    None,
                    Some(format!("the resource sampler could not start: {e}")),
                )
            }
        };
        RunTelemetry {
            sensors: sampler
                .as_ref()
                .map_or_else(Vec::new, |s| s.sensors().to_vec()),
            sampler,
            start_error,
            tracker,
            pending,
            latest,
            interval,
            session: None,
        }
    }

    pub(crate) fn tracker(&self) -> &PhaseTracker {
        &self.tracker
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.tracker.set_phase(phase);
    }

    /// The most recent reading (sustained mode records the device's state at each round).
    pub(crate) fn latest(&self) -> Option<Reading> {
        lock(&self.latest).clone()
    }

    /// Stores the readings taken since the last flush. Called after each committed sample, so a
    /// killed process loses at most the readings of the sample in flight.
    pub(crate) fn flush(&mut self, store: &mut Store, run_id: i64) -> Result<(), EngineError> {
        let readings = std::mem::take(&mut *lock(&self.pending));
        if readings.is_empty() {
            return Ok(());
        }
        let session = match self.session {
            Some(s) => s,
            None => *self.session.insert(store.next_resource_session(run_id)?),
        };
        store.insert_readings(run_id, session, &readings)?;
        Ok(())
    }

    /// Stops the sampler, stores what is left, and recomputes the run's resource figures from
    /// all of its readings (every session of a resumed run).
    pub(crate) fn finish(
        mut self,
        store: &mut Store,
        run_id: i64,
        generated_tokens: u64,
    ) -> Result<(), EngineError> {
        self.tracker.set(Phase::Idle, None);
        let report = self.sampler.take().map(Sampler::stop);
        self.flush(store, run_id)?;
        let readings = store.readings(run_id)?;
        let summary = mobench_telemetry::summarize_with_sensors(
            &readings,
            self.interval,
            generated_tokens,
            &self.sensors,
        );
        let mut figures: Vec<ResourceFigure> = summary
            .figures()
            .into_iter()
            .map(|(figure, value, missing_reason)| ResourceFigure {
                figure: figure.to_string(),
                value,
                missing_reason,
            })
            .collect();
        figures.push(ResourceFigure {
            figure: "readings".into(),
            value: Some(readings.len() as f64),
            missing_reason: None,
        });
        figures.push(ResourceFigure {
            figure: "sampling_interval_ms".into(),
            value: Some(self.interval.as_secs_f64() * 1e3),
            missing_reason: None,
        });
        let sampler_cpu = report.as_ref().and_then(|r| r.sampler_cpu_pct());
        figures.push(ResourceFigure {
            figure: "sampler_cpu_pct".into(),
            value: sampler_cpu,
            missing_reason: sampler_cpu.is_none().then(|| {
                self.start_error
                    .clone()
                    .unwrap_or_else(|| "this platform cannot measure a thread's CPU time".into())
            }),
        });
        // A sampler that stopped early leaves a gap; the run goes on and says so.
        let gap = report
            .and_then(|r| r.ended_early)
            .map(|why| format!("the resource sampler stopped early: {why}"))
            .or(self.start_error);
        figures.push(ResourceFigure {
            figure: "sampler_complete".into(),
            value: gap.is_none().then_some(1.0),
            missing_reason: gap,
        });
        store.set_resource_figures(run_id, &figures)?;
        Ok(())
    }
}
