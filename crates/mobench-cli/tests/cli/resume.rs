//! Runs survive being stopped: Ctrl-C (SIGINT) marks a run `interrupted`, a killed process
//! (SIGKILL) leaves an intact database whose stale run is recognised, and `resume` finishes
//! either without redoing the samples already stored.

use std::os::unix::process::ExitStatusExt;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::support::{
    aggregates_by_dataset, count, integrity_check, open_read_only, run_id, table_counts, wait_out,
    Env, COMMAND_TIMEOUT,
};
use rusqlite::{Connection, OpenFlags};

/// Long enough per sample that the run is still going when the test reacts to its progress.
const RUN_ARGS: [&str; 4] = ["run", "--max-tokens", "512", "--json"];

/// Samples finished before the stop: (id, dataset_id, row_index, prediction_raw, finished_at).
type SampleRow = (i64, i64, i64, String, String);

fn stored_samples(conn: &Connection, run_id: i64) -> Vec<SampleRow> {
    let mut stmt = conn
        .prepare(
            "SELECT id, dataset_id, row_index, prediction_raw, finished_at FROM samples \
             WHERE run_id = ?1 ORDER BY id",
        )
        .unwrap();
    stmt.query_map([run_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// Polls the database (read-only, beside the writer) until `n` samples are committed.
fn wait_for_samples(env: &Env, child: &mut Child, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("mobench ended ({status}) before {n} samples were stored");
        }
        let done = Connection::open_with_flags(env.db(), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM samples", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if done >= n {
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no {n} samples stored within the time limit");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn the_only_run(env: &Env) -> (i64, serde_json::Value) {
    let runs = env.runs();
    let runs = runs.as_array().expect("runs array");
    assert_eq!(runs.len(), 1, "{runs:?}");
    (run_id(&runs[0]), runs[0].clone())
}

/// Resumes `id` and checks it finished every planned sample and kept the ones done before.
fn resume_and_check(env: &Env, id: i64, before: &[SampleRow]) {
    let planned = env.show(id)["run"]["samples_total"].as_i64().unwrap();
    let result = env.json(&["resume", &id.to_string(), "--json"]);
    assert_eq!(run_id(&result), id);
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["samples_total"].as_i64(), Some(planned));
    assert_eq!(result["samples_done"].as_i64(), Some(planned));

    let conn = open_read_only(&env.db());
    let after = stored_samples(&conn, id);
    assert_eq!(
        after.len() as i64,
        planned,
        "every planned sample is stored"
    );
    for sample in before {
        assert!(
            after.contains(sample),
            "sample {sample:?} finished before the stop was redone or lost"
        );
    }
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT COUNT(*) FROM (SELECT DISTINCT dataset_id, row_index \
                 FROM samples WHERE run_id = {id})"
            )
        ),
        planned
    );
    // The run loaded the model again when it resumed.
    assert!(
        count(
            &conn,
            &format!("SELECT COUNT(*) FROM run_loads WHERE run_id = {id}")
        ) >= 2
    );
    let show = env.show(id);
    assert_eq!(show["run"]["status"], "completed");
    let counted: f64 = aggregates_by_dataset(&show)
        .as_object()
        .unwrap()
        .values()
        .map(|d| d["figures"]["samples"]["count"].as_f64().unwrap())
        .sum();
    assert_eq!(
        counted as i64, planned,
        "aggregates cover the samples of both sessions"
    );
    assert_eq!(integrity_check(&env.db()), "ok");
}

#[test]
fn ctrl_c_interrupts_a_run_and_resume_finishes_it() {
    let env = Env::new();
    let mut child = env.spawn(&RUN_ARGS);
    wait_for_samples(&env, &mut child, 2);
    // What Ctrl-C in a terminal delivers.
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with our own child's pid and a valid signal number has no memory effects.
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0, "kill: {}", std::io::Error::last_os_error());
    let out = wait_out(child, COMMAND_TIMEOUT);
    out.assert_no_panic();
    assert_eq!(out.code(), Some(130), "Ctrl-C exits with 130:\n{out}");
    let result = out.json();
    let id = run_id(&result);
    assert_eq!(result["status"], "interrupted", "{result}");
    let done = result["samples_done"].as_i64().unwrap();
    let total = result["samples_total"].as_i64().unwrap();
    assert!(done >= 2 && done < total, "{result}");
    assert!(
        out.stderr.contains(&format!("mobench resume {id}")),
        "says how to continue:\n{out}"
    );

    let (listed, run) = the_only_run(&env);
    assert_eq!(listed, id);
    assert_eq!(run["status"], "interrupted");
    assert_eq!(run["samples_done"].as_i64(), Some(done));
    assert_eq!(integrity_check(&env.db()), "ok");
    let before = stored_samples(&open_read_only(&env.db()), id);
    assert_eq!(
        before.len() as i64,
        done,
        "samples committed as they finished"
    );

    resume_and_check(&env, id, &before);

    // Resuming a completed run is a no-op that succeeds.
    let show = env.show(id);
    let counts = table_counts(&env.db());
    let samples = stored_samples(&open_read_only(&env.db()), id);
    let again = env.json(&["resume", &id.to_string(), "--json"]);
    assert_eq!(again["status"], "completed");
    assert_eq!(again["samples_done"].as_i64(), Some(total));
    assert_eq!(env.show(id), show);
    assert_eq!(table_counts(&env.db()), counts);
    assert_eq!(stored_samples(&open_read_only(&env.db()), id), samples);
}

#[test]
fn a_killed_run_leaves_an_intact_database_and_can_be_resumed() {
    let env = Env::new();
    let mut child = env.spawn(&RUN_ARGS);
    wait_for_samples(&env, &mut child, 2);

    // While it runs, another process may not take it over.
    let id: i64 = open_read_only(&env.db())
        .query_row("SELECT id FROM runs", [], |r| r.get(0))
        .unwrap();
    let busy = env.run(&["resume", &id.to_string()]);
    let line = busy.error_line();
    assert!(line.contains("still running"), "{line}");

    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status}");
    assert_eq!(integrity_check(&env.db()), "ok");

    // Nothing can mark the run when its process is killed; the next look at the database
    // (here `runs`) sees that its process is gone and shows it as interrupted, with the reason.
    let (_, run) = the_only_run(&env);
    assert_eq!(run["status"], "interrupted", "{run}");
    let killed = env.show(id);
    assert!(
        killed["run"]["failure"]
            .as_str()
            .is_some_and(|f| !f.is_empty()),
        "the reason is recorded: {killed}"
    );
    let before = stored_samples(&open_read_only(&env.db()), id);
    assert!(before.len() >= 2);

    // A later run leaves it alone.
    let other = env.quick_run();
    assert_eq!(other["status"], "completed");
    assert_eq!(env.show(id)["run"]["status"], "interrupted");
    assert_eq!(stored_samples(&open_read_only(&env.db()), id), before);

    resume_and_check(&env, id, &before);
}

#[test]
fn resume_works_straight_after_a_kill() {
    let env = Env::new();
    let mut child = env.spawn(&RUN_ARGS);
    wait_for_samples(&env, &mut child, 1);
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    assert_eq!(integrity_check(&env.db()), "ok");
    let (id, _) = the_only_run(&env);
    let before = stored_samples(&open_read_only(&env.db()), id);
    // No other run came in between: resume itself recognises the dead process.
    resume_and_check(&env, id, &before);
}
