//! The devices side by side, like a local leaderboard: for each model and quantization, every
//! device that ran it with its latest speed test (pp and tg) and its latest suite run's TTFT,
//! decode rate, peak memory and energy per token. A figure a device could not measure says why.

use mobench_metrics::figure::{self, Figure};
use mobench_store::devices::RunFilter;
use mobench_store::{RunKind, RunRow, RunStatus, Store};
use serde::Serialize;

use mobench_engine::EngineError;

/// One figure of a device, from one of its runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardFigure {
    /// The figure's name in the registry (`pp512` and `tg128` for speed tests).
    pub figure: String,
    pub value: Option<f64>,
    /// Why `value` is missing: not measured on this device, or no run of that kind.
    pub missing_reason: Option<String>,
    /// The run it comes from.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub run_id: Option<i64>,
}

/// One device's row for a model and quantization.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardDevice {
    pub device_id: String,
    pub device_label: String,
    /// Runs of this model on this device (completed ones count for the figures).
    pub runs: usize,
    pub figures: Vec<BoardFigure>,
}

/// A model and quantization with every device that ran it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardGroup {
    pub model_name: String,
    pub quantization: Option<String>,
    pub devices: Vec<BoardDevice>,
}

/// The figures each row shows, in order, besides the speed tests.
pub const BOARD_FIGURES: &[Figure] = &[
    figure::TTFT_MS,
    figure::DECODE_TOKENS_PER_S,
    figure::PEAK_MEMORY_BYTES,
    figure::ENERGY_J_PER_TOKEN,
];

/// Every model and quantization of the runs `filter` keeps, each with its devices.
pub fn devices(store: &Store, filter: &RunFilter) -> Result<Vec<BoardGroup>, EngineError> {
    let runs: Vec<RunRow> = store
        .runs()?
        .into_iter()
        .filter(|r| filter.matches(r))
        .collect();
    let mut groups: Vec<BoardGroup> = Vec::new();
    for run in &runs {
        let name = run.model.display_name();
        let quant = run.model.quantization.clone();
        let at = match groups
            .iter()
            .position(|g| g.model_name == name && g.quantization == quant)
        {
            Some(i) => i,
            None => {
                groups.push(BoardGroup {
                    model_name: name.clone(),
                    quantization: quant.clone(),
                    devices: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[at];
        if !group.devices.iter().any(|d| d.device_id == run.device_id) {
            let mine: Vec<&RunRow> = runs
                .iter()
                .filter(|r| {
                    r.device_id == run.device_id
                        && r.model.display_name() == name
                        && r.model.quantization == quant
                })
                .collect();
            group.devices.push(BoardDevice {
                device_id: run.device_id.clone(),
                device_label: run.device_label(),
                runs: mine.len(),
                figures: device_figures(store, &mine)?,
            });
        }
    }
    Ok(groups)
}

/// The latest completed run of `kind` among `runs` (ordered by id, so the last is the newest here).
fn latest<'a>(runs: &[&'a RunRow], kind: RunKind) -> Option<&'a RunRow> {
    runs.iter()
        .rev()
        .find(|r| r.kind == kind && r.status == RunStatus::Completed)
        .copied()
}

fn device_figures(store: &Store, runs: &[&RunRow]) -> Result<Vec<BoardFigure>, EngineError> {
    let mut out = Vec::new();
    let speed = latest(runs, RunKind::Speed);
    let suite = latest(runs, RunKind::Suite);
    let no_run = |figure: &str, kind: &str| BoardFigure {
        figure: figure.to_string(),
        value: None,
        missing_reason: Some(format!("no completed {kind} run on this device")),
        run_id: None,
    };
    // Speed: the first pp and the first tg test of the latest speed run, by llama-bench's names.
    match speed {
        Some(run) => {
            let results = store.speed_results(run.id)?;
            for (prefix, is) in [
                (
                    "pp",
                    (|t: &mobench_store::speed::SpeedTest| t.n_gen == 0) as fn(&_) -> bool,
                ),
                ("tg", |t| t.n_prompt == 0),
            ] {
                match results.iter().find(|r| is(&r.result.test)) {
                    Some(r) => out.push(BoardFigure {
                        figure: r.result.test.name(),
                        value: Some(r.result.avg_ts()),
                        missing_reason: None,
                        run_id: Some(run.id),
                    }),
                    None => out.push(BoardFigure {
                        figure: prefix.to_string(),
                        value: None,
                        missing_reason: Some(format!("speed run {} has no {prefix} test", run.id)),
                        run_id: Some(run.id),
                    }),
                }
            }
        }
        None => {
            out.push(no_run("pp", "speed"));
            out.push(no_run("tg", "speed"));
        }
    }
    let Some(run) = suite else {
        for f in BOARD_FIGURES {
            out.push(no_run(f.name, "suite"));
        }
        return Ok(out);
    };
    let means = store.pooled_means_of(run.id)?;
    let resources = store.resource_figures(run.id)?;
    for f in BOARD_FIGURES {
        let (value, missing_reason) = if let Some((_, v)) = means.iter().find(|(n, _)| n == f.name)
        {
            (
                *v,
                v.is_none().then(|| "not measured in this run".to_string()),
            )
        } else if let Some(r) = resources.iter().find(|r| r.figure == f.name) {
            (r.value, r.missing_reason.clone())
        } else {
            (None, Some("not recorded in this run".to_string()))
        };
        out.push(BoardFigure {
            figure: f.name.to_string(),
            value,
            missing_reason,
            run_id: Some(run.id),
        });
    }
    Ok(out)
}
