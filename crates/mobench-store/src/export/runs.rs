//! One row per run and dataset, the dataset's aggregates and the run's resource figures as
//! columns.

use super::table::{cells, col, distinct, headers, Cell, Column, Table};
use crate::records::{AggregateRow, LoadRow, RunRow, SampleRow};
use crate::resources::ResourceFigure;
use crate::TIMING_FIGURES;
use mobench_metrics::figure::IMAGE_FIGURES;

/// Everything export needs about one run.
pub struct RunExport {
    pub run: RunRow,
    pub aggregates: Vec<AggregateRow>,
    pub loads: Vec<LoadRow>,
    pub samples: Vec<SampleRow>,
    pub resources: Vec<ResourceFigure>,
}

/// The statistics of each timing figure, one column each.
const TIMING_STATS: [&str; 3] = ["mean", "median", "p95"];

/// One dataset of one run.
struct Line<'a> {
    export: &'a RunExport,
    dataset: &'a str,
    task: &'a str,
}

impl Line<'_> {
    fn find(&self, figure: &str, stat: &str) -> Option<&AggregateRow> {
        self.export
            .aggregates
            .iter()
            .find(|a| a.dataset == self.dataset && a.figure == figure && a.stat == stat)
    }

    fn value(&self, figure: &str, stat: &str) -> Cell {
        Cell::Num(self.find(figure, stat).and_then(|a| a.value))
    }

    fn load_ms(&self, cold: bool) -> Cell {
        let load = self.export.loads.iter().find(|l| l.cold == cold);
        Cell::Num(load.map(|l| l.model_load_ms))
    }

    /// Where the layers ran; a run resumed on another backend lists each.
    fn backend(&self) -> Cell {
        let placements: Vec<String> = self.export.loads.iter().map(LoadRow::placement).collect();
        Cell::Text(distinct(placements.iter().map(String::as_str)).join(" / "))
    }
}

/// The columns every run-dataset row has, before its metrics.
fn columns<'a>() -> Vec<Column<Line<'a>>> {
    vec![
        col("run_id", |l| Cell::Int(l.export.run.id)),
        col("model", |l| l.export.run.model.display_name().into()),
        col("model_sha256", |l| (&l.export.run.model.sha256).into()),
        col("quantization", |l| {
            (&l.export.run.model.quantization).into()
        }),
        col("n_params", |l| {
            Cell::Int(l.export.run.model.n_params as i64)
        }),
        col("status", |l| l.export.run.status.as_str().into()),
        col("started_at", |l| (&l.export.run.started_at).into()),
        col("task", |l| l.task.into()),
        col("dataset", |l| l.dataset.into()),
        col("samples", |l| l.value("samples", "count")),
        col("truncated", |l| l.value("truncated", "count")),
        col("errors", |l| l.value("errors", "count")),
        col("load_cold_ms", |l| l.load_ms(true)),
        col("load_warm_ms", |l| l.load_ms(false)),
        col("backend", |l| l.backend()),
    ]
}

/// The vision projector of a run with image datasets; an export has these columns when one of its
/// runs had one.
fn projector_columns<'a>() -> Vec<Column<Line<'a>>> {
    vec![
        col("projector", |l| {
            l.export
                .run
                .projector
                .as_ref()
                .map(|p| p.path.clone())
                .into()
        }),
        col("projector_sha256", |l| {
            l.export
                .run
                .projector
                .as_ref()
                .map(|p| p.sha256.clone())
                .into()
        }),
        col("load_projector_ms", |l| {
            let load = l.export.loads.iter().find(|l| !l.cold);
            Cell::Num(load.and_then(|l| l.projector_load_ms))
        }),
    ]
}

/// One row per run and dataset, aggregates as columns.
pub fn runs_table(runs: &[RunExport]) -> Table {
    let mut spec = columns();
    if runs.iter().any(|r| r.run.projector.is_some()) {
        spec.extend(projector_columns());
    }
    // The image figures only where some dataset had images: text exports keep their columns.
    let timing: Vec<&str> = TIMING_FIGURES
        .iter()
        .copied()
        .filter(|f| {
            !IMAGE_FIGURES.iter().any(|i| i.name == *f)
                || runs
                    .iter()
                    .any(|r| r.aggregates.iter().any(|a| a.figure == *f))
        })
        .collect();
    let metrics = distinct(runs.iter().flat_map(|r| {
        r.aggregates
            .iter()
            .filter(|a| a.stat == "mean" && !TIMING_FIGURES.contains(&a.figure.as_str()))
            .map(|a| a.figure.as_str())
    }));
    // Resource figures are the run's, repeated on each of its dataset rows; why some are
    // missing (no battery, no thermal zones) is said once per row.
    let resource_figures = distinct(
        runs.iter()
            .flat_map(|r| r.resources.iter().map(|f| f.figure.as_str())),
    );
    let mut columns: Vec<String> = headers(&spec).collect();
    for m in &metrics {
        columns.push(m.clone());
        columns.push(format!("{m}_missing_reason"));
    }
    for f in &timing {
        columns.extend(TIMING_STATS.map(|s| format!("{f}_{s}")));
    }
    columns.push("grader".into());
    columns.extend(resource_figures.iter().cloned());
    columns.push("resources_missing".into());
    let mut rows = Vec::new();
    for export in runs {
        let mut datasets: Vec<(&str, &str)> = Vec::new();
        for a in &export.aggregates {
            if !datasets.iter().any(|(d, _)| *d == a.dataset) {
                datasets.push((&a.dataset, &a.task));
            }
        }
        for (dataset, task) in datasets {
            let line = Line {
                export,
                dataset,
                task,
            };
            let mut row = cells(&spec, &line);
            let mut grader = None;
            for m in &metrics {
                let a = line.find(m, "mean");
                row.push(Cell::Num(a.and_then(|a| a.value)));
                row.push(a.and_then(|a| a.missing_reason.clone()).into());
                grader = grader.or_else(|| a.and_then(|a| a.grader.clone()));
            }
            for f in &timing {
                row.extend(TIMING_STATS.map(|s| line.value(f, s)));
            }
            row.push(grader.into());
            for f in &resource_figures {
                let value = export.resources.iter().find(|x| &x.figure == f);
                row.push(Cell::Num(value.and_then(|x| x.value)));
            }
            row.push(Cell::Text(missing_reasons(&export.resources)));
            rows.push(row);
        }
    }
    Table { columns, rows }
}

/// Each distinct reason once, with the figures it explains: "a, b: no battery; c: no zones".
fn missing_reasons(figures: &[ResourceFigure]) -> String {
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in figures {
        if let Some(reason) = f.missing_reason.as_deref() {
            match by_reason.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, names)) => names.push(&f.figure),
                None => by_reason.push((reason, vec![&f.figure])),
            }
        }
    }
    by_reason
        .iter()
        .map(|(reason, names)| format!("{}: {reason}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}
