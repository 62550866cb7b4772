//! Renders run events: a progress bar on stderr (ETA, dataset, live decode tokens/s), hidden
//! with --json or when stderr is not a terminal, where one line per dataset is logged instead.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mobench_engine::{Control, Event, Sink};

pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    dataset: String,
}

impl Progress {
    pub fn new(json: bool) -> Progress {
        let interactive = !json && std::io::stderr().is_terminal();
        Progress {
            bar: interactive.then(|| {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} ETA {eta} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar
            }),
            quiet: json,
            dataset: String::new(),
        }
    }

    fn note(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }
}

impl Sink for Progress {
    fn wants_tokens(&self) -> bool {
        false
    }

    fn on_event(&mut self, event: &Event) -> Control {
        match event {
            Event::RunStarted {
                run_id,
                model,
                resumed,
                total,
                already_done,
                ..
            } => {
                if let Some(bar) = &self.bar {
                    bar.set_length(*total as u64);
                    bar.set_position(*already_done as u64);
                    bar.reset_eta();
                }
                let verb = if *resumed { "resuming" } else { "run" };
                self.note(format!(
                    "{verb} {run_id}: {model}, {total} samples ({already_done} done)"
                ));
            }
            Event::ModelLoaded {
                cold,
                model_load_ms,
                backend,
                gpu_layers_offloaded,
                layers_total,
                ..
            } => {
                let kind = if *cold { "cold" } else { "warm" };
                self.note(format!(
                    "model loaded ({kind}) in {model_load_ms:.1} ms on {backend} \
                     ({gpu_layers_offloaded}/{layers_total} layers on the GPU)"
                ));
            }
            Event::SampleStarted { dataset, .. } if *dataset != self.dataset => {
                self.dataset = dataset.clone();
                if self.bar.is_none() {
                    self.note(format!("dataset {dataset}"));
                }
            }
            Event::SampleFinished {
                done,
                dataset,
                decode_tokens_per_s,
                ..
            } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(*done as u64);
                    let tps = decode_tokens_per_s.map_or("–".to_string(), |t| format!("{t:.1}"));
                    bar.set_message(format!("{dataset} · decode {tps} tok/s"));
                }
            }
            Event::Warning { message } => self.note(format!("warning: {message}")),
            Event::RunFinished { .. } => {
                if let Some(bar) = &self.bar {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
        Control::Continue
    }
}
