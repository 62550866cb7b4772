//! `push` and `pull` against a real PostgreSQL server (Debian's, started by scripts/pg.sh; its
//! URL in MOBENCH_TEST_POSTGRES): runs of two devices pushed, pulled into a third with every
//! figure, a push killed half-way, bad URLs. The real-server tests are ignored by default; test.sh
//! runs them (`-- --ignored postgres_`). Each test works in a database of its own on that server.

use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use crate::share::{device_with_runs, dump, figures, run_entry};
use crate::support::{run_id, Env};

/// A new, empty database on the test server, and its URL.
fn fresh_database(test: &str) -> String {
    let url = std::env::var("MOBENCH_TEST_POSTGRES")
        .expect("MOBENCH_TEST_POSTGRES: the URL of a server (scripts/pg.sh start)");
    let mut admin = Client::connect(&url, NoTls).expect("connect to the test server");
    let name = format!("t_{test}_{}", std::process::id());
    // One statement each: a multi-statement string runs as one transaction, which these refuse.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = url.rsplit_once('/').expect("a URL ending in /database");
    format!("{base}/{name}")
}

fn count(url: &str, sql: &str) -> i64 {
    let mut c = Client::connect(url, NoTls).unwrap();
    c.query_one(sql, &[]).unwrap().get(0)
}

fn pushed(out: &serde_json::Value, key: &str) -> usize {
    out[key].as_array().unwrap().len()
}

#[test]
#[ignore = "needs a PostgreSQL server: scripts/pg.sh start, MOBENCH_TEST_POSTGRES"]
fn postgres_runs_of_two_devices_pulled_into_a_third_keep_every_figure() {
    let url = fresh_database("round_trip");
    let (a, a_suite, a_speed) = device_with_runs();
    let b = Env::new();
    let b_suite = run_id(&b.quick_run());

    let first = a.json(&["push", "--all", "--to", &url, "--json"]);
    assert_eq!(pushed(&first, "pushed"), 2, "{first}");
    b.json(&["push", &b_suite.to_string(), "--to", &url, "--json"]);
    let again = a.json(&["push", "--all", "--to", &url, "--json"]);
    assert_eq!(
        (pushed(&again, "pushed"), pushed(&again, "present")),
        (0, 2)
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM mobench_runs"), 3);

    let c = Env::new();
    let pulled = c.json(&["pull", "--from", &url, "--json"]);
    assert_eq!(pushed(&pulled, "added"), 3, "{pulled}");
    let before = dump(&c.db());
    let twice = c.json(&["pull", "--from", &url, "--json"]);
    assert_eq!(pushed(&twice, "added"), 0);
    assert_eq!(dump(&c.db()), before, "pulling again changed nothing");

    for (env, id) in [(&a, a_suite), (&a, a_speed), (&b, b_suite)] {
        let uuid = run_entry(env, id)["uuid"].clone();
        let here = c
            .runs()
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["uuid"] == uuid)
            .unwrap_or_else(|| panic!("{uuid} not pulled"))
            .clone();
        assert_eq!(here["device"], run_entry(env, id)["device"]);
        assert!(here["origin"].as_str().unwrap().starts_with("PostgreSQL "));
        let local = here["run_id"].as_i64().unwrap();
        assert_eq!(figures(&c, local), figures(env, id), "run {uuid}");
    }

    // A pull of one device's runs only, and of a model nobody ran.
    let device = run_entry(&b, b_suite)["device"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = Env::new();
    let only_b = d.json(&["pull", "--from", &url, "--device", &device[..8], "--json"]);
    assert_eq!(pushed(&only_b, "added"), 1, "{only_b}");
    let none = d.ok(&["pull", "--from", &url, "--model", "no-such-model"]);
    assert!(none.stdout.contains("matches"));
}

#[test]
#[ignore = "needs a PostgreSQL server: scripts/pg.sh start, MOBENCH_TEST_POSTGRES"]
fn postgres_a_push_killed_half_way_leaves_nothing_and_the_next_push_all() {
    let url = fresh_database("killed");
    let a = Env::new();
    let suite = run_id(&a.quick_run());
    // The schema first (a pull of the empty server makes it).
    a.ok(&["pull", "--from", &url]);
    // Samples cannot be written while this lock is held: the push stops inside its transaction.
    let mut holder = Client::connect(&url, NoTls).unwrap();
    let mut lock = holder.transaction().unwrap();
    lock.batch_execute("LOCK TABLE mobench_samples IN EXCLUSIVE MODE")
        .unwrap();
    let mut child = a.spawn(&["push", &suite.to_string(), "--to", &url]);
    let mut watcher = Client::connect(&url, NoTls).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting: i64 = watcher
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO mobench_samples%'",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the push never reached the samples"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lock.rollback().unwrap();
    // The server aborts the killed client's transaction when it finds the connection gone.
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(
        &url,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO mobench_%'
         AND pid <> pg_backend_pid()",
    ) > 0
    {
        assert!(
            Instant::now() < deadline,
            "the killed push's session lingers"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(count(&url, "SELECT COUNT(*) FROM mobench_runs"), 0);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM mobench_run_loads"), 0);

    let out = a.json(&["push", &suite.to_string(), "--to", &url, "--json"]);
    assert_eq!(pushed(&out, "pushed"), 1);
    let local_samples = crate::support::count(&a.conn(), "SELECT COUNT(*) FROM samples");
    assert!(local_samples > 0);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM mobench_runs"), 1);
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM mobench_samples"),
        local_samples
    );
    let again = a.json(&["push", &suite.to_string(), "--to", &url, "--json"]);
    assert_eq!(pushed(&again, "present"), 1, "nothing duplicated");
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM mobench_samples"),
        local_samples
    );
}

#[test]
#[ignore = "needs a PostgreSQL server: scripts/pg.sh start, MOBENCH_TEST_POSTGRES"]
fn postgres_a_wrong_password_is_one_line_without_the_password() {
    let url = fresh_database("password");
    let a = Env::new();
    let suite = run_id(&a.quick_run());
    let (head, tail) = url.split_once('@').unwrap();
    let (user, _) = head.rsplit_once(':').unwrap();
    let wrong = format!("{user}:not-the-secret@{tail}");
    let before = dump(&a.db());
    let suite = suite.to_string();
    for args in [
        vec!["push", &suite, "--to", &wrong],
        vec!["pull", "--from", &wrong],
    ] {
        let line = a.run(&args).error_line();
        assert!(line.contains("password authentication failed"), "{line}");
        assert!(
            !line.contains("not-the-secret"),
            "the password is never shown: {line}"
        );
        assert_eq!(dump(&a.db()), before);
    }
}

#[test]
fn an_unreachable_postgres_is_one_line_and_the_database_stays_as_it_was() {
    let a = Env::new();
    let suite = run_id(&a.quick_run());
    // Port 1 on this machine: nothing listens, the connection is refused at once.
    let url = "postgres://lab:s3cret@127.0.0.1:1/results";
    let before = dump(&a.db());
    let suite = suite.to_string();
    for args in [
        vec!["push", &suite, "--to", url],
        vec!["pull", "--from", url],
    ] {
        let line = a.run(&args).error_line();
        assert!(
            line.contains("cannot connect to PostgreSQL at lab@127.0.0.1:1/results"),
            "{line}"
        );
        assert!(!line.contains("s3cret"), "{line}");
        assert_eq!(dump(&a.db()), before);
    }
}
