//! The MobileAIBench app: Tauri commands over the core (`mobench-core`), the app's state, the
//! platform glue and the event forwarding. `run` is the entry point on every platform (desktop
//! `main`, and the iOS/Android library).

mod bindings;
mod commands;
mod downloads;
mod grading;
mod keychain;
mod platform;
pub mod sharing;
pub mod state;
mod study;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tauri::{Manager, Runtime};

/// When the process started (as near as Rust code can tell), for the cold-start figure.
static STARTED: OnceLock<Instant> = OnceLock::new();

/// How long closing the app waits for the sample in flight to be stored.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// Plugins, commands and state, for the real app and for `tauri::test`'s mock runtime alike.
pub fn builder<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_fs::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(downloads::Downloads::default())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::ui_ready,
            commands::get_settings,
            commands::save_settings,
            commands::clear_data,
            commands::list_models,
            commands::import_model,
            commands::delete_model,
            commands::pair_projector,
            commands::pair_projector_beside,
            commands::unpair_projector,
            commands::memory_fit,
            commands::list_datasets,
            commands::fetch_datasets,
            commands::start_run,
            commands::resume_run,
            commands::cancel_run,
            commands::active_run,
            commands::attach_run,
            commands::list_runs,
            commands::get_run,
            commands::get_samples,
            commands::image_data_url,
            commands::get_readings,
            commands::delete_run,
            commands::compare_runs,
            commands::sample_diff,
            commands::export_csv,
            study::quant_types,
            study::start_study,
            study::resume_study,
            study::cancel_study,
            study::study_active,
            study::list_studies,
            study::get_study,
            study::export_study,
            grading::add_grader,
            grading::remove_grader,
            grading::set_grader_key,
            grading::grader_has_key,
            grading::keychain_problem,
            grading::grading_plan,
            grading::start_grading,
            grading::cancel_grading,
            grading::attach_grading,
            sharing::export_bundle,
            sharing::import_bundles,
            sharing::list_devices,
            sharing::take_opened_bundles,
            downloads::hub_catalog,
            downloads::hub_search,
            downloads::hub_files,
            downloads::list_downloads,
            downloads::start_download,
            downloads::pause_download,
            downloads::resume_download,
            downloads::forget_download,
            downloads::set_hub_token,
            downloads::hub_has_token,
        ])
}

/// Where the app keeps its data: on desktop the folder the CLI uses too (so each sees the
/// other's runs; `MOBENCH_DATA_DIR` overrides it), on mobile the app's own container.
fn data_dir<R: Runtime>(app: &tauri::App<R>) -> Result<std::path::PathBuf, String> {
    #[cfg(desktop)]
    if let Some(dir) = mobench_engine::paths::data_dir() {
        return Ok(dir);
    }
    app.path()
        .app_data_dir()
        .map_err(|e| format!("no folder to keep data in: {e}"))
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let started = *STARTED.get_or_init(Instant::now);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOBENCH_LOG")
                .unwrap_or_else(|_| "warn,mobench_app_lib=info".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let app = builder(tauri::Builder::default())
        .setup(move |app| {
            let dir = data_dir(app)?;
            #[cfg_attr(desktop, allow(unused_mut))]
            let mut state = state::AppState::new(dir, started).map_err(|e| e.message)?;
            #[cfg(mobile)]
            {
                // iOS's Documents folder: UIFileSharingEnabled and
                // LSSupportsOpeningDocumentsInPlace (Info.ios.plist) show it in Finder and the
                // Files app, where users put their models.
                state.shared_dir = app.path().document_dir().ok();
            }
            if let Err(e) = platform::start() {
                tracing::warn!(error = %e, "platform start-up");
            }
            let handle = app.handle().clone();
            state.runner.set_keep_awake(move |on| {
                // UIKit wants the main thread.
                let done = handle.run_on_main_thread(move || {
                    if let Err(e) = platform::keep_awake(on) {
                        tracing::warn!(error = %e, on, "cannot keep the device awake");
                    }
                });
                if let Err(e) = done {
                    tracing::warn!(error = %e, "cannot reach the main thread");
                }
            });
            // Runs left `running` by a killed app become resumable now, before any screen shows.
            // Downloads left `running` by a closed app are paused, to resume from their parts.
            match state.store() {
                Ok(store) => {
                    let _ = mobench_core::hub::pause_interrupted(&store);
                }
                Err(e) => tracing::error!(error = %e.message, "the run database cannot be opened"),
            }
            app.manage(state);
            // Desktop: a `.mobench` file the app was started with (a file manager's "Open with").
            #[cfg(desktop)]
            sharing::opened(
                app.handle(),
                std::env::args_os().skip(1).map(Into::into).collect(),
            );
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("MobileAIBench could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        let Some(state) = handle.try_state::<state::AppState>() else {
            return;
        };
        match event {
            // Closing mid-run: stop after the token in flight and store the run as interrupted,
            // so it shows as resumable on the next start.
            // A grading pass stops between two requests (what was answered is cached).
            tauri::RunEvent::Exit => {
                handle.state::<downloads::Downloads>().pause_all();
                state.grading.shutdown(SHUTDOWN_WAIT);
                state.runner.shutdown(SHUTDOWN_WAIT);
            }
            // iOS/Android leaving and re-entering the foreground (tao: "will resign active" /
            // "will enter foreground"): pause the run, then carry on (see `mobench_core::runs::lifecycle`).
            #[cfg(mobile)]
            tauri::RunEvent::WindowEvent {
                event: tauri::WindowEvent::Suspended,
                ..
            } => state.runner.background(),
            #[cfg(mobile)]
            tauri::RunEvent::WindowEvent {
                event: tauri::WindowEvent::Resumed,
                ..
            } => state.runner.foreground(),
            // macOS and iOS: a `.mobench` file opened with the app (Finder, AirDrop, the Files
            // app's "Open in"), the document type tauri.conf.json registers.
            #[cfg(any(target_os = "macos", target_os = "ios"))]
            tauri::RunEvent::Opened { urls } => sharing::opened(
                handle,
                urls.iter().filter_map(|u| u.to_file_path().ok()).collect(),
            ),
            _ => {}
        }
    });
}
