//! The run queue: jobs in turn with a cool-down between them, one queue at a time, cancel,
//! pause in the background and resume in the foreground, a window attaching mid-queue, resume.

use std::time::{Duration, Instant};

use mobench_core::runs::{resume_job, LiveEvent, QueueEvent};
use mobench_core::ErrorCode;
use mobench_engine::events::Event;

use mobench_core::testkit::{until, until_finished};

use crate::support::{queue_events, Bench};

fn is_cooldown(e: &LiveEvent) -> bool {
    matches!(e, LiveEvent::Queue(QueueEvent::Cooldown { .. }))
}

fn finished(events: &[LiveEvent]) -> (Vec<i64>, bool, bool) {
    match events.last() {
        Some(LiveEvent::Queue(QueueEvent::QueueFinished {
            run_ids,
            cancelled,
            paused,
        })) => (run_ids.clone(), *cancelled, *paused),
        other => panic!("the queue did not finish: {other:?}"),
    }
}

#[test]
fn a_queue_runs_its_jobs_in_turn_with_the_cool_down_between_them() {
    let bench = Bench::new();
    let started = Instant::now();
    let events = until_finished(&bench.start(bench.jobs(2), 1));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the cool-down was not waited"
    );
    let names: Vec<String> = queue_events(&events)
        .iter()
        .map(|q| match q {
            QueueEvent::QueueStarted { models, .. } => format!("queue of {}", models.len()),
            QueueEvent::ModelStarted { index, total, .. } => format!("model {index}/{total}"),
            QueueEvent::ModelFailed { error, .. } => format!("failed: {}", error.message),
            QueueEvent::Cooldown { seconds } => format!("cool-down {seconds} s"),
            QueueEvent::QueueFinished { run_ids, .. } => format!("finished {}", run_ids.len()),
        })
        .collect();
    assert_eq!(
        names,
        [
            "queue of 2",
            "model 0/2",
            "cool-down 1 s",
            "model 1/2",
            "finished 2"
        ]
    );
    let (run_ids, cancelled, paused) = finished(&events);
    assert!(!cancelled && !paused);
    assert_ne!(run_ids[0], run_ids[1]);
    let runs_started = events
        .iter()
        .filter(|e| matches!(e, LiveEvent::Run(Event::RunStarted { .. })))
        .count();
    assert_eq!(runs_started, 2);
    assert!(
        bench.runner.active().is_none(),
        "the slot is free once the queue said it finished"
    );
}

#[test]
fn one_queue_at_a_time_and_a_cancel_ends_the_cool_down_at_once() {
    let bench = Bench::new();
    let rx = bench.start(bench.jobs(2), 600);
    until(&rx, is_cooldown);
    let active = bench.runner.active().expect("a queue is active");
    assert_eq!(active.models.len(), 2);
    let e = bench
        .runner
        .start(bench.db(), bench.jobs(1), 0, |_| {})
        .expect_err("a second queue must wait");
    assert_eq!(e.code, ErrorCode::Busy);
    assert_eq!(
        bench.runner.ensure_idle("delete a model").unwrap_err().code,
        ErrorCode::Busy
    );
    let cancelled_at = Instant::now();
    assert!(bench.runner.cancel());
    let events = until_finished(&rx);
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(10),
        "the cool-down went on"
    );
    let (run_ids, cancelled, paused) = finished(&events);
    assert_eq!((run_ids.len(), cancelled, paused), (1, true, false));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, LiveEvent::Queue(QueueEvent::ModelStarted { .. }))),
        "no model starts after a cancel"
    );
    bench.runner.ensure_idle("delete a model").unwrap();
}

#[test]
fn the_background_pauses_the_queue_and_the_foreground_runs_what_is_left() {
    let bench = Bench::new();
    let awake = bench.record_keep_awake();
    let rx = bench.start(bench.jobs(2), 600);
    until(&rx, is_cooldown);
    bench.runner.background();
    let (first_ids, cancelled, paused) = finished(&until_finished(&rx));
    assert_eq!((first_ids.len(), cancelled, paused), (1, false, true));
    assert!(bench.runner.is_paused());
    assert!(bench.runner.active().is_none());
    assert_eq!(*awake.lock().unwrap(), [true, false]);

    // Coming back starts what was left (the second model) on a new queue, to the same watcher.
    bench.runner.foreground();
    let events = until_finished(&rx);
    assert!(!bench.runner.is_paused());
    let starts: Vec<_> = queue_events(&events)
        .into_iter()
        .filter_map(|q| match q {
            QueueEvent::QueueStarted { models, .. } => Some(models.len()),
            _ => None,
        })
        .collect();
    assert_eq!(starts, [1]);
    let (second_ids, cancelled, paused) = finished(&events);
    assert_eq!((second_ids.len(), cancelled, paused), (1, false, false));
    assert_ne!(first_ids, second_ids);
    assert_eq!(*awake.lock().unwrap(), [true, false, true, false]);
}

#[test]
fn a_window_that_attaches_mid_queue_is_brought_up_to_date_and_gets_the_rest() {
    let bench = Bench::new();
    let rx = bench.start(bench.jobs(2), 600);
    until(&rx, is_cooldown);
    let (tx, attached) = std::sync::mpsc::channel();
    let info = bench
        .runner
        .attach(move |e| {
            let _ = tx.send(e);
        })
        .expect("a queue is running");
    assert_eq!(info.index, 0);
    let replayed: Vec<LiveEvent> = attached.try_iter().collect();
    assert!(matches!(
        replayed.first(),
        Some(LiveEvent::Queue(QueueEvent::QueueStarted { .. }))
    ));
    assert!(replayed.iter().any(|e| matches!(
        e,
        LiveEvent::Run(Event::RunStarted {
            already_done: 1,
            ..
        })
    )));
    bench.runner.cancel();
    let (_, cancelled, _) = finished(&until_finished(&attached));
    assert!(cancelled);
    assert!(
        rx.try_recv().is_err(),
        "the first watcher is no longer told"
    );
}

#[test]
fn only_an_unfinished_suite_run_can_be_resumed() {
    let bench = Bench::new();
    let (run_ids, _, _) = finished(&until_finished(&bench.start(bench.jobs(1), 0)));
    let store = mobench_engine::open_store(&bench.db()).unwrap();
    let e = resume_job(&store, run_ids[0])
        .err()
        .expect("a finished run is not resumable");
    assert_eq!(e.code, ErrorCode::Resume);
    assert_eq!(
        resume_job(&store, 9999).err().unwrap().code,
        ErrorCode::NotFound
    );
}
