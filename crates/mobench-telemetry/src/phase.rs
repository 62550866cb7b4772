//! The run phase and sample index the engine publishes for the sampler to tag readings with.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What the engine is doing, so that a reading can be attributed to model loading, prompt
/// processing or token generation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Idle,
    Loading,
    Prefill,
    Decode,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Idle, Phase::Loading, Phase::Prefill, Phase::Decode];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Loading => "loading",
            Phase::Prefill => "prefill",
            Phase::Decode => "decode",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == s)
    }

    fn code(self) -> u64 {
        match self {
            Phase::Idle => 0,
            Phase::Loading => 1,
            Phase::Prefill => 2,
            Phase::Decode => 3,
        }
    }

    fn from_code(code: u64) -> Phase {
        match code & PHASE_MASK {
            1 => Phase::Loading,
            2 => Phase::Prefill,
            3 => Phase::Decode,
            _ => Phase::Idle,
        }
    }
}

const PHASE_BITS: u32 = 2;
const PHASE_MASK: u64 = (1 << PHASE_BITS) - 1;
/// Sample indices are stored plus one so that zero in the upper bits can mean "no sample".
const MAX_SAMPLE: u64 = (u64::MAX >> PHASE_BITS) - 1;

/// The engine's current phase and sample, shared with the sampler thread.
///
/// Phase and sample live in one atomic word so that the sampler never sees a phase from one
/// sample paired with the index of another, and so that publishing costs a few nanoseconds:
/// the engine updates it on every decode step.
#[derive(Debug, Clone, Default)]
pub struct PhaseTracker {
    word: Arc<AtomicU64>,
}

impl PhaseTracker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_phase(&self, phase: Phase) {
        self.update(|word| (word & !PHASE_MASK) | phase.code());
    }

    /// Indices above 2^62 − 2 are clamped; no run has that many samples.
    pub fn set_sample(&self, sample: Option<u64>) {
        let encoded = encode_sample(sample);
        self.update(|word| (word & PHASE_MASK) | encoded);
    }

    /// Sets both at once, for the moment a new sample starts in a known phase.
    pub fn set(&self, phase: Phase, sample: Option<u64>) {
        self.word
            .store(encode_sample(sample) | phase.code(), Ordering::Relaxed);
    }

    pub fn get(&self) -> (Phase, Option<u64>) {
        let word = self.word.load(Ordering::Relaxed);
        let sample = word >> PHASE_BITS;
        (Phase::from_code(word), sample.checked_sub(1))
    }

    fn update(&self, f: impl Fn(u64) -> u64) {
        // fetch_update rather than load/store so two writers cannot lose each other's half.
        let _ = self
            .word
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| Some(f(w)));
    }
}

fn encode_sample(sample: Option<u64>) -> u64 {
    sample.map_or(0, |s| (s.min(MAX_SAMPLE) + 1) << PHASE_BITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_and_sample_round_trip_independently() {
        let t = PhaseTracker::new();
        assert_eq!(t.get(), (Phase::Idle, None));
        t.set_phase(Phase::Loading);
        assert_eq!(t.get(), (Phase::Loading, None));
        t.set_sample(Some(0));
        assert_eq!(t.get(), (Phase::Loading, Some(0)));
        t.set_phase(Phase::Decode);
        assert_eq!(t.get(), (Phase::Decode, Some(0)));
        t.set_sample(Some(41));
        assert_eq!(t.get(), (Phase::Decode, Some(41)));
        t.set_sample(None);
        assert_eq!(t.get(), (Phase::Decode, None));
        t.set(Phase::Prefill, Some(7));
        assert_eq!(t.get(), (Phase::Prefill, Some(7)));
        t.set_sample(Some(u64::MAX));
        assert_eq!(t.get(), (Phase::Prefill, Some(MAX_SAMPLE)));
    }

    #[test]
    fn clones_share_the_same_state() {
        let a = PhaseTracker::new();
        let b = a.clone();
        a.set(Phase::Decode, Some(3));
        assert_eq!(b.get(), (Phase::Decode, Some(3)));
    }

    #[test]
    fn phase_names_round_trip() {
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        assert_eq!(Phase::parse("Decode"), None);
    }
}
