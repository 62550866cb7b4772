//! The app's lifecycle around a run: the background pauses it, the foreground carries it on, and
//! the screen is kept awake exactly while a queue runs.

use mobench_core::runs::{Job, LiveEvent, QueueEvent};
use mobench_engine::events::Event;
use serde_json::json;
use std::time::Duration;

use crate::support::{app, until, until_finished};

#[test]
fn going_to_the_background_pauses_the_run_and_coming_back_finishes_it() {
    let t = app();
    let state = t.state();
    let awake = t.record_keep_awake();
    let rx = t.start_long_run();
    let mut run_id = None;
    let mut paused_at = None;
    for e in rx.iter() {
        match e {
            LiveEvent::Run(Event::SampleFinished { done, .. }) if paused_at.is_none() => {
                // What the platform glue does on iOS's "will resign active".
                state.runner.background();
                paused_at = Some(done);
            }
            LiveEvent::Run(Event::RunFinished {
                run_id: id, status, ..
            }) => {
                assert_eq!(status, mobench_store::RunStatus::Paused);
                run_id = Some(id);
            }
            LiveEvent::Queue(QueueEvent::QueueFinished {
                paused, cancelled, ..
            }) => {
                assert!(paused && !cancelled);
                break;
            }
            _ => {}
        }
    }
    let run_id = run_id.unwrap();
    assert!(state.runner.is_paused());
    assert!(state.runner.active().is_none());
    let run = &t.runs()[0];
    assert_eq!(run["status"], "paused");
    assert_eq!(run["failure"], "paused: the app went to the background");
    assert_eq!(
        run["resumable"], true,
        "resumable from History if the app is killed now"
    );
    let stored = run["samples_done"].as_u64().unwrap();
    assert!(
        stored >= paused_at.unwrap() as u64 && stored < 10,
        "{stored}"
    );
    assert_eq!(*awake.lock().unwrap(), vec![true, false]);

    // Back in the foreground: the same run carries on where it stopped, on the same channel.
    state.runner.foreground();
    let mut resumed = None;
    for e in rx.iter() {
        match e {
            LiveEvent::Run(Event::RunStarted {
                run_id: id,
                resumed: r,
                already_done,
                ..
            }) => resumed = Some((id, r, already_done)),
            LiveEvent::Queue(QueueEvent::QueueFinished { paused, .. }) => {
                assert!(!paused);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(resumed, Some((run_id, true, stored as usize)));
    t.wait_idle();
    assert!(!state.runner.is_paused());
    let run = &t.runs()[0];
    assert_eq!(
        (
            run["id"].as_i64(),
            run["status"].as_str(),
            run["samples_done"].as_u64()
        ),
        (Some(run_id), Some("completed"), Some(10))
    );
    assert_eq!(*awake.lock().unwrap(), vec![true, false, true, false]);
}

#[test]
fn a_run_cancelled_while_paused_stays_paused_and_without_a_run_the_background_does_nothing() {
    let t = app();
    let state = t.state();
    // Cancelled while paused (the app came back, the user cancelled before it carried on): the
    // window hears that the queue ended, and the run stays paused, resumable from History.
    let rx = t.start_long_run();
    until(&rx, |e| {
        if matches!(e, LiveEvent::Run(Event::SampleFinished { .. })) {
            state.runner.background();
        }
        matches!(e, LiveEvent::Queue(QueueEvent::QueueFinished { .. }))
    });
    assert!(state.runner.is_paused());
    assert!(state.runner.cancel());
    assert!(!state.runner.is_paused());
    assert!(matches!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        LiveEvent::Queue(QueueEvent::QueueFinished {
            cancelled: true,
            paused: false,
            ..
        })
    ));
    state.runner.foreground();
    assert!(
        state.runner.active().is_none(),
        "nothing carries on after a cancel"
    );
    let runs = t.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["status"], "paused");
    assert_eq!(runs[0]["resumable"], true);
    t.ok("delete_run", json!({ "runId": runs[0]["id"] }));

    // Without a run, leaving and coming back does nothing.
    state.runner.background();
    state.runner.foreground();
    assert!(state.runner.active().is_none());
    assert!(t.runs().is_empty());
}

#[test]
fn queues_started_back_to_back_keep_the_screen_awake_exactly_while_one_runs() {
    let t = app();
    let awake = t.record_keep_awake();
    // Queues that end at once (the run to resume does not exist), each started the moment the
    // last one says it finished: the one's stop must never be heard after the next one's start.
    let queues = 40;
    for _ in 0..queues {
        until_finished(&t.start_jobs(vec![Job::Resume {
            run_id: 424_242,
            model: "gone.gguf".into(),
        }]));
    }
    assert_eq!(*awake.lock().unwrap(), [true, false].repeat(queues));
}
