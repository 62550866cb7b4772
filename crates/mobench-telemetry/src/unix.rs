//! Clock and usage calls shared by the Linux and Apple probes.

use std::time::Duration;

/// User + system CPU time of the whole process, with microsecond resolution (procfs only
/// offers 10 ms ticks, which is 4 % of a core at a 250 ms interval).
#[cfg(unix)]
pub(crate) fn process_cpu_time() -> Option<Duration> {
    // SAFETY: getrusage only writes into the zeroed struct we own.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return None;
        }
        usage
    };
    Some(timeval(usage.ru_utime) + timeval(usage.ru_stime))
}

#[cfg(not(unix))]
pub(crate) fn process_cpu_time() -> Option<Duration> {
    None
}

#[cfg(unix)]
fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
}

/// CPU time consumed by the calling thread, to report what the sampler itself costs.
#[cfg(unix)]
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    // SAFETY: clock_gettime only writes into the zeroed struct we own.
    let ts = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        if libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) != 0 {
            return None;
        }
        ts
    };
    Some(Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    ))
}

#[cfg(not(unix))]
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Clock ticks per second for `/proc/<pid>/stat` times (USER_HZ, 100 almost everywhere).
pub(crate) fn clock_ticks_per_second() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no memory-safety preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if ticks > 0 {
            return ticks as u64;
        }
    }
    100
}
