//! The OS keychain endpoint API keys are kept in (`mobench_core::grading::keychain`): Keychain on
//! macOS (the login keychain) and iOS (the app's protected data), the Secret Service on Linux
//! (GNOME Keyring, KWallet, KeePassXC) where one runs. Opened on first use; when there is none,
//! the error is one line that says so, and keys cannot be set (nothing else needs them).

use std::sync::Arc;

use keyring_core::CredentialStore;

/// This platform's credential store, or the one line that says why there is none (logged once,
/// when the app first needs the keychain).
pub fn open() -> Result<Arc<CredentialStore>, String> {
    let opened = open_store();
    if let Err(why) = &opened {
        tracing::warn!("API keys cannot be kept: {why}");
    }
    opened
}

fn open_store() -> Result<Arc<CredentialStore>, String> {
    #[cfg(target_os = "macos")]
    {
        let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()
            .map_err(|e| format!("the macOS keychain cannot be opened: {e}"))?;
        Ok(store)
    }
    #[cfg(target_os = "ios")]
    {
        let store: Arc<CredentialStore> = apple_native_keyring_store::protected::Store::new()
            .map_err(|e| format!("the iOS keychain cannot be opened: {e}"))?;
        Ok(store)
    }
    #[cfg(target_os = "linux")]
    {
        let store: Arc<CredentialStore> =
            dbus_secret_service_keyring_store::Store::new().map_err(|e| {
                let why = e.to_string().replace(['\r', '\n'], " ");
                format!(
                    "no Secret Service is running on this desktop (start GNOME Keyring, KWallet \
                     or KeePassXC's): {why}"
                )
            })?;
        Ok(store)
    }
    #[cfg(not(any(target_os = "macos", target_os = "ios", target_os = "linux")))]
    Err("this platform has no keychain MobileAIBench can keep API keys in".into())
}

#[cfg(test)]
mod tests {
    /// On this machine the OS keychain either opens or says in one line why not (CI has no
    /// Secret Service). Only opened: nothing is written to it.
    #[test]
    fn the_os_keychain_opens_or_says_why_in_one_line() {
        match super::open() {
            Ok(_) => {}
            Err(why) => {
                assert!(!why.contains('\n'), "{why}");
                #[cfg(target_os = "linux")]
                assert!(why.starts_with("no Secret Service is running"), "{why}");
            }
        }
    }
}
