//! The procfs parsers against real-world and malformed files (the sysfs folders are in
//! `linux`, which reads them).

use mobench_telemetry::parse::{self, ParseError};

use crate::fixture_text;

#[test]
fn proc_status_from_this_vm_and_a_laptop() {
    let vm = parse::proc_status(&fixture_text("proc/vm_status")).unwrap();
    assert_eq!(vm.rss_bytes, Some(1644 * 1024));
    assert_eq!(vm.peak_rss_bytes, Some(1644 * 1024));

    let laptop = parse::proc_status(&fixture_text("proc/laptop_status")).unwrap();
    assert_eq!(laptop.rss_bytes, Some(4_523_008 * 1024));
    assert_eq!(laptop.peak_rss_bytes, Some(4_718_592 * 1024));
}

#[test]
fn truncated_or_empty_proc_status_is_an_error_not_a_number() {
    // Cut inside "VmHWM: 4718592 kB": the partial "47" must not be read as 47 kB.
    let err = parse::proc_status(&fixture_text("proc/truncated_status")).unwrap_err();
    assert!(matches!(err, ParseError::Malformed { .. }), "{err:?}");
    let err = parse::proc_status(&fixture_text("proc/empty_status")).unwrap_err();
    assert!(matches!(err, ParseError::Empty(_)), "{err:?}");
    // A status with only one of the two lines still gives that one.
    let partial = parse::proc_status("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t 10").unwrap();
    assert_eq!(partial.peak_rss_bytes, Some(2048 * 1024));
    assert_eq!(partial.rss_bytes, None);
}

#[test]
fn proc_stat_aggregate_line() {
    let times = parse::proc_stat(&fixture_text("proc/vm_stat")).unwrap();
    // cpu  906196 0 90186 150897 3573 0 523 1209 0 0
    assert_eq!(times.total, 906196 + 90186 + 150897 + 3573 + 523 + 1209);
    assert_eq!(times.busy, 906196 + 90186 + 523 + 1209);

    let laptop = parse::proc_stat(&fixture_text("roots/laptop/proc/stat")).unwrap();
    assert_eq!(laptop.busy, 2419330 + 1220 + 512772 + 18230);

    // Guest time is part of user time already and must not be counted twice.
    let guest = parse::proc_stat_cpu_line("cpu  100 0 0 100 0 0 0 0 50 0").unwrap();
    assert_eq!((guest.busy, guest.total), (100, 200));
}

#[test]
fn broken_proc_stat_is_an_error() {
    for name in ["proc/truncated_stat", "proc/garbled_stat"] {
        let err = parse::proc_stat(&fixture_text(name)).unwrap_err();
        assert!(
            matches!(err, ParseError::Malformed { .. }),
            "{name}: {err:?}"
        );
    }
    assert!(matches!(parse::proc_stat(""), Err(ParseError::Empty(_))));
    assert!(parse::proc_stat_cpu_line("cpu  1 2").is_err());
    assert!(parse::proc_stat_cpu_line("intr 1 2 3 4 5").is_err());
}

#[test]
fn pid_stat_cpu_ticks_even_with_parentheses_in_the_name() {
    // utime 0 + stime 0 for `cat` on this VM.
    assert_eq!(
        parse::proc_pid_stat_ticks(&fixture_text("proc/vm_pid_stat")).unwrap(),
        0
    );
    assert_eq!(
        parse::proc_pid_stat_ticks(&fixture_text("proc/odd_comm_pid_stat")).unwrap(),
        51234 + 1766
    );
    assert!(parse::proc_pid_stat_ticks(&fixture_text("proc/truncated_pid_stat")).is_err());
    assert!(parse::proc_pid_stat_ticks("").is_err());
}

#[test]
fn meminfo_total_and_available() {
    let m = parse::meminfo(&fixture_text("roots/laptop/proc/meminfo")).unwrap();
    assert_eq!(m.total_bytes, 32_562_804 * 1024);
    assert_eq!(m.available_bytes, 21_456_780 * 1024);
    assert_eq!(m.used_bytes(), (32_562_804 - 21_456_780) * 1024);
    assert!(parse::meminfo(&fixture_text("proc/vm_meminfo")).is_ok());
    assert!(parse::meminfo("MemTotal:  100 kB\n").is_err());
    assert!(parse::meminfo("MemTotal: N/A\nMemAvailable: 5 kB\n").is_err());
}
