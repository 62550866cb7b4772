//! TypeScript bindings for the UI (`ui/src/bindings`). Types the app defines carry
//! `#[ts(export)]`; those that only appear in command results, and come from the engine's crates,
//! are exported here. scripts/test.sh fails when the committed files differ from what this makes.

#[cfg(test)]
mod tests {
    use ts_rs::TS;

    #[test]
    fn export_bindings_of_command_results() {
        mobench_store::SampleRow::export_all().unwrap();
        mobench_telemetry::Reading::export_all().unwrap();
        mobench_core::views::RunSummary::export_all().unwrap();
        mobench_core::views::Comparison::export_all().unwrap();
        mobench_core::views::SampleDiff::export_all().unwrap();
        mobench_core::views::export::ExportKind::export_all().unwrap();
        mobench_core::views::BoardGroup::export_all().unwrap();
        mobench_store::ImportReport::export_all().unwrap();
        mobench_store::devices::RunFilter::export_all().unwrap();
        mobench_hub::RepoSummary::export_all().unwrap();
        mobench_store::downloads::DownloadRow::export_all().unwrap();
        mobench_core::study::StudyTable::export_all().unwrap();
        // The figure registry: its types and its values (figures.ts).
        mobench_metrics::figure::export_typescript().unwrap();
    }
}
