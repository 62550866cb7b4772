//! `mobench models`: the catalog of recommended phone models, Hugging Face search, a
//! repository's GGUF files, fetching a model (resumable, checked against the hub's sha256) into
//! the model library the app shares, listing and removing library models.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use mobench_core::hub::{self, FetchTarget};
use mobench_core::library;
use mobench_core::ErrorCode;

use crate::{paths, EXIT_INTERRUPTED};

#[derive(Args, Debug, Default, Clone)]
pub struct HubArgs {
    /// A mirror of the Hugging Face hub (default https://huggingface.co); a token for gated
    /// models is read from HF_TOKEN
    #[arg(long, env = "HF_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ModelsAction {
    /// The recommended models for phones, with the quantizations to try
    Catalog {
        #[arg(long)]
        json: bool,
    },
    /// Search the hub for GGUF repositories
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        hub: HubArgs,
        #[arg(long)]
        json: bool,
    },
    /// A repository's GGUF files: quantization, size, parts, and whether each fits this device
    Files {
        /// owner/name
        repo: String,
        #[command(flatten)]
        hub: HubArgs,
        #[arg(long)]
        json: bool,
    },
    /// Download a model into the library: a catalog name (NAME or NAME:QUANT) or a repository
    /// and a file; an interrupted fetch resumes where it stopped
    Fetch {
        /// A catalog name, or a repository (owner/name) followed by FILE
        target: String,
        /// The GGUF file in the repository (the first part, for a split model)
        file: Option<String>,
        #[command(flatten)]
        hub: HubArgs,
        #[arg(long)]
        json: bool,
    },
    /// The model library: the built-in model, imported and downloaded models
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a model from the library (a downloaded or copied file is deleted)
    Rm {
        /// Its path, or its file name
        model: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn models(db: &Path, action: ModelsAction) -> Result<ExitCode> {
    match action {
        ModelsAction::Catalog { json } => catalog(json),
        ModelsAction::Search {
            text,
            limit,
            hub,
            json,
        } => search(&text, limit, &hub, json),
        ModelsAction::Files { repo, hub, json } => files(&repo, &hub, json),
        ModelsAction::Fetch {
            target,
            file,
            hub,
            json,
        } => fetch(db, target, file, &hub, json),
        ModelsAction::List { json } => list(db, json),
        ModelsAction::Rm { model, json } => rm(db, &model, json),
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(ExitCode::SUCCESS)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn catalog(json: bool) -> Result<ExitCode> {
    let catalog = hub::catalog();
    if json {
        return print_json(&catalog);
    }
    println!(
        "{:<26} {:<7} {:<28} {:<40} repository",
        "name", "params", "quantizations", "licence"
    );
    for m in &catalog {
        let quants: Vec<&str> = m.quants.iter().map(|q| q.quant.as_str()).collect();
        println!(
            "{:<26} {:<7} {:<28} {:<40} {}{}",
            m.name,
            m.params,
            quants.join(", "),
            m.licence,
            m.repo,
            if m.vision {
                " (with vision projector)"
            } else {
                ""
            }
        );
    }
    println!("fetch one with `mobench models fetch NAME` (its first quantization) or NAME:QUANT");
    Ok(ExitCode::SUCCESS)
}

fn search(text: &str, limit: usize, args: &HubArgs, json: bool) -> Result<ExitCode> {
    let hub = hub::hub(args.endpoint.as_deref(), None)?;
    let found = hub
        .search(text, limit)
        .map_err(mobench_core::AppError::from)?;
    if json {
        return print_json(&found);
    }
    if found.is_empty() {
        println!("no GGUF repository on {} matches {text:?}", hub.endpoint());
    }
    for r in &found {
        println!(
            "{:<60} {:>10} downloads{}",
            r.id,
            r.downloads,
            if r.gated {
                "  gated: needs HF_TOKEN"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn files(repo: &str, args: &HubArgs, json: bool) -> Result<ExitCode> {
    let hub = hub::hub(args.endpoint.as_deref(), None)?;
    let files = hub::repo_files(&hub, repo)?;
    if json {
        return print_json(&files);
    }
    for f in &files {
        let parts = f.parts.map(|n| format!(" ({n} parts)")).unwrap_or_default();
        let kind = if f.is_mmproj {
            "projector"
        } else {
            f.quant.as_deref().unwrap_or("?")
        };
        let fit = match f.fit.verdict {
            mobench_engine::llama::memory::Verdict::Fits => "fits",
            mobench_engine::llama::memory::Verdict::Tight => "tight",
            mobench_engine::llama::memory::Verdict::WontFit => "too big",
            mobench_engine::llama::memory::Verdict::Unknown => "fit unknown",
        };
        println!(
            "{:<60} {:<10} {:>10} {}{parts}",
            f.path,
            kind,
            mb(f.size),
            fit
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn fetch(
    db: &Path,
    target: String,
    file: Option<String>,
    args: &HubArgs,
    json: bool,
) -> Result<ExitCode> {
    let target = match file {
        Some(file) => FetchTarget::File { repo: target, file },
        None if target.contains('/') => bail!(
            "{target} is a repository: name the file to fetch too (`mobench models files {target}` lists them)"
        ),
        None => FetchTarget::Catalog { spec: target },
    };
    let data_dir = paths::data_dir()?;
    let store = mobench_engine::open_store(db)?;
    let hub = hub::hub(args.endpoint.as_deref(), None)?;
    let plan = hub::plan(&hub, &target)?;
    let names: Vec<String> = plan.files().iter().map(|f| f.path.clone()).collect();
    eprintln!(
        "fetching {} from {}: {} ({})",
        names.join(", "),
        plan.repo,
        mb(plan.total_bytes()),
        hub.endpoint()
    );
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    let _ = ctrlc::set_handler(move || c.store(true, Ordering::Relaxed));
    let bar = crate::commands::download_bar(&plan.model[0].path, plan.total_bytes());
    let result = hub::fetch(
        &store,
        &data_dir,
        &hub,
        &plan,
        hub::Limits::default(),
        &cancel,
        &mut |p| bar.set_position(p.done_bytes),
    );
    bar.finish_and_clear();
    match result {
        Ok(entry) => {
            if json {
                return print_json(&entry);
            }
            println!(
                "{}: {} {}, {} — checked (sha256 {}), in the library as {}",
                plan.repo,
                entry.name.as_deref().unwrap_or(&entry.file_name),
                entry.quantization.as_deref().unwrap_or(""),
                mb(entry.size_bytes),
                entry.sha256.as_deref().unwrap_or("?"),
                entry.path
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.code == ErrorCode::Paused => {
            eprintln!("mobench: {}", e.message);
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Err(e) => Err(e.into()),
    }
}

fn list(db: &Path, json: bool) -> Result<ExitCode> {
    let data_dir = paths::data_dir()?;
    let store = mobench_engine::open_store(db)?;
    let models = library::list(&store, &data_dir, None)?;
    if json {
        return print_json(&models);
    }
    for m in &models {
        let source = serde_json::to_value(m.source)?;
        println!(
            "{:<10} {:<8} {:>10}  {}{}",
            source.as_str().unwrap_or(""),
            m.quantization.as_deref().unwrap_or("-"),
            mb(m.size_bytes),
            m.path,
            m.problem
                .as_ref()
                .map(|p| format!("  ({p})"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn rm(db: &Path, model: &str, json: bool) -> Result<ExitCode> {
    let data_dir = paths::data_dir()?;
    let store = mobench_engine::open_store(db)?;
    let models = library::list(&store, &data_dir, None)?;
    let matching: Vec<&library::ModelEntry> = models
        .iter()
        .filter(|m| m.path == model || m.file_name == model)
        .collect();
    let path = match matching.as_slice() {
        [one] => one.path.clone(),
        [] => bail!("{model} is not in the model library (`mobench models list` shows it)"),
        _ => bail!("{model} names {} models: give the path", matching.len()),
    };
    library::delete(&store, &data_dir, None, &path)?;
    if json {
        return print_json(&serde_json::json!({ "removed": path }));
    }
    println!("removed {path}");
    Ok(ExitCode::SUCCESS)
}
