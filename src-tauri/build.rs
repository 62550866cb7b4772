/// The app's commands, declared so that each needs an `allow-<command>` permission in a
/// capability (least privilege) instead of being open to every window.
const COMMANDS: &[&str] = &[
    "app_info",
    "ui_ready",
    "get_settings",
    "save_settings",
    "clear_data",
    "list_models",
    "import_model",
    "delete_model",
    "pair_projector",
    "pair_projector_beside",
    "unpair_projector",
    "memory_fit",
    "list_datasets",
    "fetch_datasets",
    "start_run",
    "resume_run",
    "cancel_run",
    "active_run",
    "attach_run",
    "list_runs",
    "get_run",
    "get_samples",
    "image_data_url",
    "get_readings",
    "delete_run",
    "compare_runs",
    "sample_diff",
    "export_csv",
    "quant_types",
    "start_study",
    "resume_study",
    "cancel_study",
    "study_active",
    "list_studies",
    "get_study",
    "export_study",
    "add_grader",
    "remove_grader",
    "set_grader_key",
    "grader_has_key",
    "keychain_problem",
    "grading_plan",
    "start_grading",
    "cancel_grading",
    "attach_grading",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
