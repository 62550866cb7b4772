//! The judges and embedders the user defines in Settings: a model from Models, or an
//! OpenAI-compatible endpoint. A definition holds no key: an endpoint says only whether it needs
//! one, and the key itself is kept in the OS keychain (see `keychain`).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::library::ModelEntry;
use crate::settings::AppSettings;

/// What a grader does: a judge answers MobileAIBench's grading prompts (a chat model), an
/// embedder embeds answers (adv_instruction's consistency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(rename_all = "lowercase")]
pub enum GraderRole {
    Judge,
    Embedder,
}

impl GraderRole {
    pub fn word(self) -> &'static str {
        match self {
            GraderRole::Judge => "judge",
            GraderRole::Embedder => "embedder",
        }
    }
}

/// Where a grader runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum GraderSource {
    /// A GGUF model of the library (Models), by its path, run by our llama.cpp.
    Local { path: String },
    /// An OpenAI-compatible endpoint: a cloud API or a server on the network.
    Endpoint {
        /// Up to the API's version, `https://api.openai.com/v1`.
        base_url: String,
        /// The model the endpoint is asked for, `gpt-4o`.
        model: String,
        /// Whether requests carry an API key (kept in the keychain, never here).
        needs_key: bool,
    },
}

/// A judge or an embedder as Settings keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct GraderDef {
    /// Made by the app when the grader is added; names its key in the keychain.
    pub id: String,
    pub name: String,
    pub role: GraderRole,
    pub source: GraderSource,
}

/// A grader the user asks to add (the app gives it its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct NewGrader {
    /// Empty for a local model: its file's name is used.
    pub name: String,
    pub role: GraderRole,
    pub source: GraderSource,
}

const MAX_NAME_CHARS: usize = 80;

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Settings, message)
}

/// Checks an endpoint's address: http(s), a host, and no `user:password@` (a key belongs in the
/// keychain, not in settings).
fn check_base_url(url: &str) -> AppResult<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            invalid(format!(
                "an endpoint's address must start with http:// or https://, not `{url}`"
            ))
        })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(invalid(
            "an endpoint's address must not carry a user name or password: give the API key in \
             its own field, which keeps it in the system keychain",
        ));
    }
    if authority.is_empty() || url.chars().any(char::is_whitespace) {
        return Err(invalid(format!("`{url}` is not an endpoint address")));
    }
    Ok(())
}

/// What any stored list of graders must be (checked when settings are loaded and saved): unique
/// ids and names, names and endpoints that make sense. Models are checked when a grader is added
/// and again when it grades (a file may go away in between).
pub fn validate(graders: &[GraderDef]) -> AppResult<()> {
    for (i, g) in graders.iter().enumerate() {
        let id_ok = !g.id.is_empty()
            && g.id.len() <= 64
            && g.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(invalid(format!("grader id `{}` is not valid", g.id)));
        }
        let name = g.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(invalid(format!(
                "a grader's name must have 1 to {MAX_NAME_CHARS} characters"
            )));
        }
        for other in &graders[..i] {
            if other.id == g.id {
                return Err(invalid(format!("two graders have the id `{}`", g.id)));
            }
            if other.name.trim().eq_ignore_ascii_case(name) {
                return Err(invalid(format!(
                    "there is already a grader named `{name}`: choose another name"
                )));
            }
        }
        match &g.source {
            GraderSource::Local { path } => {
                if path.trim().is_empty() {
                    return Err(invalid(format!("grader `{name}` names no model")));
                }
            }
            GraderSource::Endpoint {
                base_url, model, ..
            } => {
                check_base_url(base_url)?;
                if model.trim().is_empty() {
                    return Err(invalid(format!(
                        "grader `{name}`: give the model the endpoint should use"
                    )));
                }
            }
        }
    }
    Ok(())
}

fn file_stem(path: &str) -> String {
    Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

/// A fresh id: unlikely to meet another app's (or another data folder's) in a shared keychain.
fn new_id(new: &NewGrader, taken: &[GraderDef]) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut salt = 0u32;
    loop {
        let mut h = Sha256::new();
        h.update(new.name.as_bytes());
        h.update(nanos.to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        h.update(salt.to_le_bytes());
        let id = format!("g-{}", &hex::encode(h.finalize())[..12]);
        if !taken.iter().any(|g| g.id == id) {
            return id;
        }
        salt += 1;
    }
}

/// Checks that a model of the library can be this kind of grader: a judge must be a chat model
/// (it answers through its chat template), an embedder must declare how it pools its tokens.
fn check_model(role: GraderRole, path: &str, models: &[ModelEntry]) -> AppResult<()> {
    let model = models.iter().find(|m| m.path == path).ok_or_else(|| {
        invalid(format!(
            "{path} is not a model in Models: import it there first"
        ))
    })?;
    if let Some(problem) = &model.problem {
        return Err(AppError::new(
            ErrorCode::ModelFile,
            format!("{}: {problem}", model.file_name),
        ));
    }
    match role {
        GraderRole::Judge if !model.has_chat_template => Err(AppError::new(
            ErrorCode::ModelFile,
            format!(
                "{} has no chat template: a judge must be a chat (instruct) model",
                model.file_name
            ),
        )),
        GraderRole::Judge => Ok(()),
        GraderRole::Embedder => match mobench_engine::grade::declared_pooling(Path::new(path))? {
            Some(p) if p > 0 => Ok(()),
            _ => Err(AppError::new(
                ErrorCode::ModelFile,
                format!(
                    "{} declares no pooling (`<arch>.pooling_type`): an embedder must be an \
                         embedding model",
                    model.file_name
                ),
            )),
        },
    }
}

/// `settings` with `new` added (checked: a local model must be one of `models`, the library's).
pub fn add(
    settings: &AppSettings,
    new: NewGrader,
    models: &[ModelEntry],
) -> AppResult<(AppSettings, GraderDef)> {
    let source = match new.source.clone() {
        GraderSource::Local { path } => {
            check_model(new.role, &path, models)?;
            GraderSource::Local { path }
        }
        GraderSource::Endpoint {
            base_url,
            model,
            needs_key,
        } => GraderSource::Endpoint {
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            model: model.trim().to_string(),
            needs_key,
        },
    };
    let name = match (new.name.trim(), &source) {
        ("", GraderSource::Local { path }) => file_stem(path),
        ("", GraderSource::Endpoint { model, .. }) => model.clone(),
        (name, _) => name.to_string(),
    };
    let grader = GraderDef {
        id: new_id(&new, &settings.graders),
        name,
        role: new.role,
        source,
    };
    let mut next = settings.clone();
    next.graders.push(grader.clone());
    validate(&next.graders)?;
    Ok((next, grader))
}

/// `settings` without grader `id`, and the grader removed.
pub fn remove(settings: &AppSettings, id: &str) -> AppResult<(AppSettings, GraderDef)> {
    let mut next = settings.clone();
    let at = next
        .graders
        .iter()
        .position(|g| g.id == id)
        .ok_or_else(|| not_found(id))?;
    let removed = next.graders.remove(at);
    Ok((next, removed))
}

fn not_found(id: &str) -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        format!("no grader with id `{id}`: it may have been removed"),
    )
}

/// Grader `id` of `settings`.
pub fn find<'a>(settings: &'a AppSettings, id: &str) -> AppResult<&'a GraderDef> {
    settings
        .graders
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| not_found(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(name: &str, url: &str) -> NewGrader {
        NewGrader {
            name: name.into(),
            role: GraderRole::Judge,
            source: GraderSource::Endpoint {
                base_url: url.into(),
                model: "gpt-4o".into(),
                needs_key: true,
            },
        }
    }

    #[test]
    fn endpoints_are_checked_and_named() {
        let s = AppSettings::default();
        let (s, g) = add(&s, endpoint("", "https://api.openai.com/v1/"), &[]).unwrap();
        assert_eq!(g.name, "gpt-4o");
        assert!(g.id.starts_with("g-"));
        assert_eq!(
            g.source,
            GraderSource::Endpoint {
                base_url: "https://api.openai.com/v1".into(),
                model: "gpt-4o".into(),
                needs_key: true
            }
        );
        let e = add(&s, endpoint("GPT-4O", "http://localhost:8080/v1"), &[]).unwrap_err();
        assert!(
            e.message.contains("already a grader named"),
            "{}",
            e.message
        );
        for bad in [
            "ftp://x/v1",
            "https://user:sk-secret@api.example/v1",
            "https:///v1",
        ] {
            let e = add(&s, endpoint("x", bad), &[]).unwrap_err();
            assert_eq!(e.code, ErrorCode::Settings, "{bad}");
            assert!(!e.message.contains("sk-secret"), "{}", e.message);
        }
        let (s, _) = add(
            &s,
            endpoint("local server", "http://127.0.0.1:8080/v1"),
            &[],
        )
        .unwrap();
        assert_eq!(s.graders.len(), 2);
        let (s, removed) = remove(&s, &g.id).unwrap();
        assert_eq!(removed.id, g.id);
        assert_eq!(s.graders.len(), 1);
        assert_eq!(remove(&s, &g.id).unwrap_err().code, ErrorCode::NotFound);
    }

    #[test]
    fn a_local_grader_must_be_a_model_of_the_library() {
        let e = add(
            &AppSettings::default(),
            NewGrader {
                name: String::new(),
                role: GraderRole::Judge,
                source: GraderSource::Local {
                    path: "/nowhere/x.gguf".into(),
                },
            },
            &[],
        )
        .unwrap_err();
        assert!(e.message.contains("not a model in Models"), "{}", e.message);
    }
}
