//! Platform calls beyond what Tauri offers, one small module per platform behind `cfg`, each with
//! a fallback so the app compiles and is tested everywhere. The logic that decides when to call
//! them lives in the core (`mobench_core::runs::lifecycle`, `mobench_core::library`).

/// Keeps the device from sleeping while a run goes; `false` lets it sleep again. iOS: the
/// screen's idle timer (`UIApplication.idleTimerDisabled`, main thread only). macOS: a
/// user-initiated `NSProcessInfo` activity, which keeps the Mac from idle sleep and the app out
/// of App Nap (a napping app is throttled, and its figures with it). Elsewhere: nothing, a
/// desktop's screen saver does not slow a run.
pub fn keep_awake(on: bool) -> Result<(), String> {
    #[cfg(target_os = "ios")]
    return ios::keep_awake(on);
    #[cfg(target_os = "macos")]
    return macos::keep_awake(on);
    #[cfg(not(any(target_os = "ios", target_os = "macos")))]
    {
        let _ = on;
        Ok(())
    }
}

/// Once at start, on the main thread: what the platform needs before the first run. iOS reports
/// the battery level and state only to an app that enabled battery monitoring (the telemetry
/// reads `UIDevice.batteryLevel` from its sampler thread).
pub fn start() -> Result<(), String> {
    #[cfg(target_os = "ios")]
    return ios::monitor_battery();
    #[cfg(not(target_os = "ios"))]
    Ok(())
}

#[cfg(target_os = "ios")]
mod ios {
    use objc2::msg_send;
    use objc2::rc::Retained;
    use objc2::runtime::{AnyClass, AnyObject};

    pub fn keep_awake(on: bool) -> Result<(), String> {
        let cls = AnyClass::get(c"UIApplication").ok_or("UIKit is not loaded")?;
        // SAFETY: +[UIApplication sharedApplication] exists in every UIKit app;
        // idleTimerDisabled is a BOOL property; the caller is on the main thread.
        unsafe {
            let app: Option<Retained<AnyObject>> = msg_send![cls, sharedApplication];
            let app = app.ok_or("UIApplication.sharedApplication is nil")?;
            let _: () = msg_send![&*app, setIdleTimerDisabled: on];
        }
        Ok(())
    }

    pub fn monitor_battery() -> Result<(), String> {
        let cls = AnyClass::get(c"UIDevice").ok_or("UIKit is not loaded")?;
        // SAFETY: +[UIDevice currentDevice] is the shared instance; batteryMonitoringEnabled is
        // a BOOL property; the caller is on the main thread.
        unsafe {
            let device: Option<Retained<AnyObject>> = msg_send![cls, currentDevice];
            let device = device.ok_or("UIDevice.currentDevice is nil")?;
            let _: () = msg_send![&*device, setBatteryMonitoringEnabled: true];
        }
        Ok(())
    }
}

#[cfg(target_os = "macos")]
mod macos {
    use std::sync::Mutex;

    use objc2::msg_send;
    use objc2::rc::Retained;
    use objc2::runtime::{AnyClass, AnyObject};

    /// `NSActivityUserInitiated`, which includes `NSActivityIdleSystemSleepDisabled`.
    const USER_INITIATED: u64 = 0x00FF_FFFF;

    /// The activity token; only ever touched under the lock.
    struct Activity(Retained<AnyObject>);
    // SAFETY: the token is an immutable NSObject that NSProcessInfo accepts from any thread.
    unsafe impl Send for Activity {}

    static ACTIVITY: Mutex<Option<Activity>> = Mutex::new(None);

    pub fn keep_awake(on: bool) -> Result<(), String> {
        let mut slot = ACTIVITY.lock().unwrap_or_else(|p| p.into_inner());
        if on == slot.is_some() {
            return Ok(());
        }
        let cls = AnyClass::get(c"NSProcessInfo").ok_or("Foundation is not loaded")?;
        // SAFETY: +[NSProcessInfo processInfo] is the shared instance; beginActivityWithOptions:
        // reason: (macOS 10.9+) takes an NSActivityOptions (uint64_t) and an NSString, and
        // returns the token endActivity: takes back.
        unsafe {
            let info: Option<Retained<AnyObject>> = msg_send![cls, processInfo];
            let info = info.ok_or("NSProcessInfo.processInfo is nil")?;
            if let Some(Activity(token)) = slot.take() {
                let _: () = msg_send![&*info, endActivity: &*token];
                return Ok(());
            }
            let string = AnyClass::get(c"NSString").ok_or("Foundation is not loaded")?;
            let reason: Option<Retained<AnyObject>> = msg_send![
                string,
                stringWithUTF8String: c"A MobileAIBench run is in progress".as_ptr()
            ];
            let reason = reason.ok_or("cannot make an NSString")?;
            let token: Option<Retained<AnyObject>> =
                msg_send![&*info, beginActivityWithOptions: USER_INITIATED, reason: &*reason];
            *slot = Some(Activity(token.ok_or("beginActivity returned nil")?));
        }
        Ok(())
    }
}
