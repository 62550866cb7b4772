//! What the app does when the system moves it between foreground and background, as a plain
//! state machine (the platform glue in `lib.rs` feeds it; the run queue carries out its actions).
//!
//! - While a queue runs, the screen is kept awake (iOS `idleTimerDisabled`; on macOS the process
//!   is kept out of App Nap and idle sleep), and released when it stops.
//! - Going to the background pauses the queue: the sample in flight is abandoned (iOS forbids GPU
//!   work in the background and would throttle the CPU, so its figures would be wrong anyway), the
//!   run is stored as `paused`, and the rest of the queue is kept.
//! - Coming back resumes the paused run where it stopped, then the rest of the queue. If the app
//!   returns before the pause has finished, it resumes as soon as the pause has been stored.
//! - If the system kills the app while it is in the background, the run stays `paused` in the
//!   database and History offers to resume it on the next launch.

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Background,
    Foreground,
    QueueStarted,
    /// The queue's thread ended; `paused`: it stopped for a pause and kept its remaining work.
    QueueStopped {
        paused: bool,
    },
}

/// What to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    KeepAwake(bool),
    PauseQueue,
    ResumeQueue,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    background: bool,
    running: bool,
    /// A pause was asked for and the queue has not stopped yet.
    pausing: bool,
    /// A queue stopped for a pause waits to be resumed.
    paused: bool,
}

impl Lifecycle {
    pub fn on(&mut self, signal: Signal) -> Vec<Action> {
        match signal {
            Signal::QueueStarted => {
                self.running = true;
                self.paused = false;
                self.pausing = false;
                if self.background {
                    // Started (or resumed) just as the app left: pause it at once.
                    self.pausing = true;
                    vec![Action::PauseQueue]
                } else {
                    vec![Action::KeepAwake(true)]
                }
            }
            Signal::Background => {
                self.background = true;
                if self.running && !self.pausing {
                    self.pausing = true;
                    vec![Action::PauseQueue, Action::KeepAwake(false)]
                } else {
                    Vec::new()
                }
            }
            Signal::QueueStopped { paused } => {
                self.running = false;
                self.pausing = false;
                if self.background {
                    // The screen was let go when the app left.
                    self.paused = paused;
                    Vec::new()
                } else if paused {
                    // Back before the pause was stored: carry on.
                    vec![Action::ResumeQueue]
                } else {
                    vec![Action::KeepAwake(false)]
                }
            }
            Signal::Foreground => {
                self.background = false;
                if self.paused {
                    self.paused = false;
                    vec![Action::ResumeQueue]
                } else {
                    Vec::new()
                }
            }
        }
    }

    #[cfg(test)]
    fn is_paused(&self) -> bool {
        self.paused
    }
}

#[cfg(test)]
mod tests {
    use super::Action::*;
    use super::Signal::*;
    use super::*;

    fn run(signals: &[Signal]) -> (Lifecycle, Vec<Vec<Action>>) {
        let mut l = Lifecycle::default();
        let actions = signals.iter().map(|s| l.on(*s)).collect();
        (l, actions)
    }

    #[test]
    fn a_run_keeps_the_screen_awake_until_it_ends() {
        let (l, a) = run(&[QueueStarted, QueueStopped { paused: false }]);
        assert_eq!(a, vec![vec![KeepAwake(true)], vec![KeepAwake(false)]]);
        assert_eq!(l, Lifecycle::default());
    }

    #[test]
    fn background_pauses_and_foreground_resumes() {
        let (l, a) = run(&[
            QueueStarted,
            Background,
            QueueStopped { paused: true },
            Foreground,
            QueueStarted,
        ]);
        assert_eq!(
            a,
            vec![
                vec![KeepAwake(true)],
                vec![PauseQueue, KeepAwake(false)],
                vec![],
                vec![ResumeQueue],
                vec![KeepAwake(true)],
            ]
        );
        assert!(!l.is_paused());
    }

    #[test]
    fn returning_before_the_pause_is_stored_resumes_once_it_is() {
        let (_, a) = run(&[
            QueueStarted,
            Background,
            Foreground,
            QueueStopped { paused: true },
        ]);
        assert_eq!(a[2], vec![]);
        assert_eq!(a[3], vec![ResumeQueue]);
    }

    #[test]
    fn repeated_background_signals_pause_once() {
        // iOS sends "will resign active" for a pulled-down notification centre too, then
        // "did enter background": only one pause.
        let (_, a) = run(&[QueueStarted, Background, Background]);
        assert_eq!(a[2], vec![]);
    }

    #[test]
    fn a_queue_that_finishes_while_the_pause_is_asked_for_is_not_resumed() {
        let (l, a) = run(&[
            QueueStarted,
            Background,
            QueueStopped { paused: false },
            Foreground,
        ]);
        assert_eq!(a[2], vec![]);
        assert_eq!(a[3], vec![]);
        assert!(!l.is_paused());
    }

    #[test]
    fn nothing_running_means_nothing_to_do() {
        let (_, a) = run(&[Background, Foreground, Background]);
        assert!(a.iter().all(Vec::is_empty));
    }

    #[test]
    fn a_queue_started_in_the_background_is_paused_at_once() {
        let (l, a) = run(&[
            Background,
            QueueStarted,
            QueueStopped { paused: true },
            Foreground,
        ]);
        assert_eq!(a[1], vec![PauseQueue]);
        assert_eq!(a[2], vec![]);
        assert!(!l.is_paused());
        assert_eq!(a[3], vec![ResumeQueue]);
    }
}
