//! Endpoint API keys in the OS keychain, through the keyring ecosystem's `keyring-core`: the
//! front end hands over the credential store of its platform (Keychain on macOS and iOS, the
//! Secret Service on Linux), tests keyring-core's in-memory mock store. A key goes in once and
//! comes out only to the grading pass; it is never written to the database, the settings file,
//! a log, an export or an error message.

use std::sync::{Arc, OnceLock};

use keyring_core::{CredentialStore, Entry, Error};

use crate::error::{AppError, AppResult, ErrorCode};

/// The service name of every key the app keeps.
pub const SERVICE: &str = "MobileAIBench";

/// The keychain account of grader `grader_id`'s key.
pub fn account(grader_id: &str) -> String {
    format!("grader:{grader_id}")
}

/// The longest key accepted (API keys are well under a hundred characters).
const MAX_KEY_CHARS: usize = 4096;

type Opener = Box<dyn Fn() -> Result<Arc<CredentialStore>, String> + Send + Sync>;

/// The credential store keys go to, opened on first use (opening the Secret Service is a D-Bus
/// round trip the app's start need not wait for).
pub struct Keychain {
    open: Opener,
    store: OnceLock<Result<Arc<CredentialStore>, String>>,
}

impl Keychain {
    /// A keychain over `store`.
    pub fn new(store: Arc<CredentialStore>) -> Keychain {
        let keychain = Keychain::lazy(|| Err("unreachable".into()));
        let _ = keychain.store.set(Ok(store));
        keychain
    }

    /// A keychain that opens its store with `open` when first used; `open`'s error is the one
    /// line that says why there is none.
    pub fn lazy(
        open: impl Fn() -> Result<Arc<CredentialStore>, String> + Send + Sync + 'static,
    ) -> Keychain {
        Keychain {
            open: Box::new(open),
            store: OnceLock::new(),
        }
    }

    /// A keychain that there is not, saying why.
    pub fn unavailable(why: impl Into<String>) -> Keychain {
        let why = why.into();
        Keychain::lazy(move || Err(why.clone()))
    }

    /// `None` when keys can be kept, else the one line that says why not.
    pub fn problem(&self) -> Option<String> {
        self.store().err()
    }

    fn store(&self) -> Result<Arc<CredentialStore>, String> {
        self.store.get_or_init(|| (self.open)()).clone()
    }

    fn entry(&self, grader_id: &str) -> AppResult<Entry> {
        let store = self.store().map_err(|why| {
            AppError::new(
                ErrorCode::Keychain,
                format!("API keys cannot be kept: {why}"),
            )
        })?;
        Entry::new_in_store(&store, SERVICE, &account(grader_id)).map_err(failed)
    }

    /// Keeps `key` as grader `grader_id`'s, replacing any earlier one.
    pub fn set(&self, grader_id: &str, key: &str) -> AppResult<()> {
        let key = key.trim();
        if key.is_empty() {
            return Err(AppError::new(ErrorCode::Settings, "the API key is empty"));
        }
        if key.chars().count() > MAX_KEY_CHARS || key.chars().any(char::is_control) {
            return Err(AppError::new(
                ErrorCode::Settings,
                "that is not an API key: it is too long or has control characters",
            ));
        }
        self.entry(grader_id)?.set_password(key).map_err(failed)
    }

    /// Whether grader `grader_id` has a key.
    pub fn has(&self, grader_id: &str) -> AppResult<bool> {
        Ok(self.get(grader_id)?.is_some())
    }

    /// Grader `grader_id`'s key, for the grading pass only.
    pub fn get(&self, grader_id: &str) -> AppResult<Option<String>> {
        match self.entry(grader_id)?.get_password() {
            Ok(key) => Ok(Some(key)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    /// Forgets grader `grader_id`'s key (nothing to do when it has none).
    pub fn delete(&self, grader_id: &str) -> AppResult<()> {
        match self.entry(grader_id)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(failed(e)),
        }
    }
}

/// A keychain error in words; what the store held is never part of it.
fn failed(e: Error) -> AppError {
    let message = match e {
        Error::NoStorageAccess(why) => {
            format!("the system keychain refused access (is it locked?): {why}")
        }
        Error::BadEncoding(_) | Error::BadDataFormat(..) => {
            "the key kept in the system keychain is unreadable: enter it again".to_string()
        }
        Error::PlatformFailure(why) => format!("the system keychain failed: {why}"),
        Error::NoDefaultStore => "there is no system keychain to keep API keys in".to_string(),
        Error::Ambiguous(items) => format!(
            "the system keychain holds {} keys for this grader: remove the grader and add it again",
            items.len()
        ),
        other => format!("the system keychain failed: {other}"),
    };
    AppError::new(ErrorCode::Keychain, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_in_and_out_of_the_store_and_nowhere_else() {
        let store = keyring_core::mock::Store::new().unwrap();
        let keychain = Keychain::new(store.clone());
        assert!(!keychain.has("g-1").unwrap());
        keychain.set("g-1", "  sk-test-123 ").unwrap();
        assert!(keychain.has("g-1").unwrap());
        assert!(!keychain.has("g-2").unwrap());
        assert_eq!(keychain.get("g-1").unwrap().as_deref(), Some("sk-test-123"));
        // It is in the store, under the app's service and the grader's account.
        let entry = Entry::new_in_store(&(store as Arc<CredentialStore>), SERVICE, "grader:g-1");
        assert_eq!(entry.unwrap().get_password().unwrap(), "sk-test-123");
        keychain.delete("g-1").unwrap();
        keychain.delete("g-1").unwrap();
        assert!(!keychain.has("g-1").unwrap());
        assert_eq!(
            keychain.set("g-1", " ").unwrap_err().code,
            ErrorCode::Settings
        );
    }

    #[test]
    fn no_keychain_is_one_clear_line() {
        let keychain = Keychain::unavailable("no Secret Service is running");
        assert_eq!(
            keychain.problem().as_deref(),
            Some("no Secret Service is running")
        );
        let e = keychain.set("g-1", "sk-x").unwrap_err();
        assert_eq!(e.code, ErrorCode::Keychain);
        assert_eq!(
            e.message,
            "API keys cannot be kept: no Secret Service is running"
        );
    }
}
