//! The resource time series of runs: one row per reading, run id first.

use mobench_telemetry::Reading;

use super::table::{cells, col, headers, Cell, Column, Table};

struct Line<'a> {
    run_id: i64,
    reading: &'a Reading,
}

fn int(v: Option<u64>) -> Cell {
    Cell::Num(v.map(|v| v as f64))
}

/// The telemetry table's columns (the telemetry CSV's header), each with its cell.
fn columns<'a>() -> Vec<Column<Line<'a>>> {
    vec![
        col("run_id", |l| Cell::Int(l.run_id)),
        col("unix_ms", |l| Cell::Int(l.reading.unix_ms)),
        col("elapsed_ms", |l| Cell::Num(Some(l.reading.elapsed_ms))),
        col("phase", |l| l.reading.phase.as_str().into()),
        col("sample_index", |l| int(l.reading.sample_index)),
        col("process_cpu_pct", |l| Cell::Num(l.reading.process_cpu_pct)),
        col("system_cpu_pct", |l| Cell::Num(l.reading.system_cpu_pct)),
        col("rss_bytes", |l| int(l.reading.rss_bytes)),
        col("peak_rss_bytes", |l| int(l.reading.peak_rss_bytes)),
        col("footprint_bytes", |l| int(l.reading.footprint_bytes)),
        col("headroom_bytes", |l| int(l.reading.headroom_bytes)),
        col("system_memory_used_bytes", |l| {
            int(l.reading.system_memory_used_bytes)
        }),
        col("system_memory_available_bytes", |l| {
            int(l.reading.system_memory_available_bytes)
        }),
        col("battery_level_pct", |l| {
            Cell::Num(l.reading.battery_level_pct)
        }),
        col("battery_state", |l| {
            Cell::from(l.reading.battery_state.map(|b| b.as_str().to_string()))
        }),
        col("power_w", |l| Cell::Num(l.reading.power_w)),
        col("thermal_state", |l| {
            Cell::from(l.reading.thermal_state.map(|t| t.as_str().to_string()))
        }),
        col("temperature_c", |l| Cell::Num(l.reading.temperature_c)),
    ]
}

/// The time series of runs as a table: one row per reading.
pub fn readings_table(runs: &[(i64, Vec<Reading>)]) -> Table {
    let spec = columns();
    Table {
        columns: headers(&spec).collect(),
        rows: runs
            .iter()
            .flat_map(|(run_id, readings)| {
                readings.iter().map(|reading| {
                    cells(
                        &spec,
                        &Line {
                            run_id: *run_id,
                            reading,
                        },
                    )
                })
            })
            .collect(),
    }
}
