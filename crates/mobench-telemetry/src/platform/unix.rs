//! Clock and usage calls shared by the Linux and Apple probes.

use std::time::{Duration, Instant};

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

/// Whether [`process_cpu_time`] works here, or why not.
pub(crate) fn process_cpu_status() -> Result<(), String> {
    process_cpu_time()
        .map(|_| ())
        .ok_or_else(|| "getrusage(RUSAGE_SELF) failed".to_string())
}

/// Process CPU percentages from successive CPU-time readings: CPU time used since the previous
/// reading over the wall time since it, 100 = one core fully busy.
#[derive(Debug, Default)]
pub(crate) struct CpuRate {
    prev: Option<(Instant, Duration)>,
}

impl CpuRate {
    /// The percentage since the previous reading, given the CPU time read at `now`. A failed
    /// reading (`None`) breaks the chain: the next value must not span two intervals silently.
    pub(crate) fn next(&mut self, now: Instant, cpu: Option<Duration>) -> Option<f64> {
        let pct = match (self.prev, cpu) {
            (Some((then, prev)), Some(cpu)) => {
                let wall = now.saturating_duration_since(then).as_secs_f64();
                (wall > 0.0)
                    .then(|| cpu.checked_sub(prev))
                    .flatten()
                    .map(|used| used.as_secs_f64() / wall * 100.0)
            }
            _ => None,
        };
        self.prev = cpu.map(|c| (now, c));
        pct
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_rate_needs_two_readings_in_a_row() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut rate = CpuRate::default();
        assert_eq!(rate.next(t0, Some(ms(1000))), None, "the first only primes");
        assert_eq!(rate.next(t0 + ms(200), Some(ms(1100))), Some(50.0));
        assert_eq!(rate.next(t0 + ms(400), None), None);
        assert_eq!(
            rate.next(t0 + ms(600), Some(ms(1300))),
            None,
            "a failed reading breaks the chain"
        );
        assert_eq!(rate.next(t0 + ms(800), Some(ms(1200))), None, "backwards");
        assert_eq!(
            rate.next(t0 + ms(800), Some(ms(1300))),
            None,
            "no wall time"
        );
    }
}
