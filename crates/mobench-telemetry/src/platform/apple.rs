//! The Apple backend (macOS, iOS, iPadOS): mach task info for memory, sysctl for the hardware,
//! Foundation for the thermal state, UIKit (iOS) or IOKit power sources (macOS) for the battery.
//!
//! Objective-C classes are looked up at run time rather than linked through generated bindings,
//! which keeps this small and lets a missing framework become "unavailable" instead of a crash.

use std::ffi::CStr;
use std::time::Instant;

use objc2::msg_send;
use objc2::rc::Retained;
use objc2::runtime::{AnyClass, AnyObject};

use super::unix::{self, CpuRate};
use crate::identity::PlatformIdentity;
use crate::reading::{BatteryState, Reading, SensorStatus, ThermalState};

// NSProcessInfo lives in Foundation, which a plain Rust binary does not otherwise load.
#[link(name = "Foundation", kind = "framework")]
extern "C" {}

#[cfg(target_os = "ios")]
extern "C" {
    /// <os/proc.h>, iOS 13+: bytes the app may still allocate before jetsam kills it.
    fn os_proc_available_memory() -> libc::size_t;
}

/// The probe reading this device.
pub(crate) fn probe() -> AppleProbe {
    AppleProbe::new()
}

pub(crate) struct AppleProbe {
    sys: Option<sysinfo::System>,
    process_cpu: CpuRate,
    system_cpu_primed: bool,
    battery: Result<(), String>,
    thermal: Result<(), String>,
    sensors: Vec<SensorStatus>,
}

impl AppleProbe {
    pub(crate) fn new() -> Self {
        let sys = sysinfo::System::new().ok();
        let mut sensors = Vec::new();
        sensors.push(SensorStatus::from_result(
            "process_cpu",
            &unix::process_cpu_status(),
        ));
        let sys_status: Result<(), String> = sys
            .as_ref()
            .map(|_| ())
            .ok_or_else(|| "sysinfo could not read the system".to_string());
        sensors.push(SensorStatus::from_result("system_cpu", &sys_status));
        let vm = task_vm_info();
        sensors.push(SensorStatus::from_result(
            "memory",
            &vm.as_ref().map(|_| ()).map_err(Clone::clone),
        ));
        sensors.push(SensorStatus::from_result(
            "peak_memory",
            &vm.as_ref().map(|_| ()).map_err(Clone::clone),
        ));
        sensors.push(SensorStatus::from_result(
            "footprint",
            &vm.as_ref().map_err(Clone::clone).and_then(|v| {
                v.phys_footprint
                    .map(|_| ())
                    .ok_or_else(|| "TASK_VM_INFO did not include phys_footprint".to_string())
            }),
        ));
        sensors.push(SensorStatus::from_result(
            "headroom",
            &headroom().map(|_| ()),
        ));
        sensors.push(SensorStatus::from_result("system_memory", &sys_status));

        let battery = battery::read();
        let power = match &battery {
            Err(reason) => Err(reason.clone()),
            Ok(b) if b.power_w.is_some() => Ok(()),
            Ok(_) => Err(battery::NO_POWER.to_string()),
        };
        sensors.push(SensorStatus::from_result("battery", &battery));
        sensors.push(SensorStatus::from_result("power", &power));
        let thermal = thermal_state().map(|_| ());
        sensors.push(SensorStatus::from_result("thermal_state", &thermal));
        sensors.push(SensorStatus::unavailable(
            "temperature",
            "Apple platforms expose no temperature sensors to apps; see thermal_state",
        ));
        AppleProbe {
            sys,
            process_cpu: CpuRate::default(),
            system_cpu_primed: false,
            battery: battery.map(|_| ()),
            thermal,
            sensors,
        }
    }

    pub(crate) fn sensors(&self) -> &[SensorStatus] {
        &self.sensors
    }

    pub(crate) fn read(&mut self, r: &mut Reading) {
        let now = Instant::now();
        r.process_cpu_pct = self.process_cpu.next(now, unix::process_cpu_time());

        if let Ok(vm) = task_vm_info() {
            r.rss_bytes = Some(vm.resident_size);
            r.peak_rss_bytes = Some(vm.resident_size_peak);
            r.footprint_bytes = vm.phys_footprint;
        }
        r.headroom_bytes = headroom().ok();

        if let Some(sys) = &mut self.sys {
            // sysinfo's CPU usage is a difference between refreshes: the first one only primes.
            sys.refresh_cpu_usage();
            if self.system_cpu_primed {
                r.system_cpu_pct = Some(f64::from(sys.global_cpu_usage()));
            }
            self.system_cpu_primed = true;
            sys.refresh_memory_specifics(sysinfo::MemoryRefreshKind::nothing().with_ram());
            if sys.total_memory() > 0 {
                r.system_memory_used_bytes = Some(sys.used_memory());
                r.system_memory_available_bytes = Some(sys.available_memory());
            }
        }

        if self.battery.is_ok() {
            if let Ok(b) = battery::read() {
                r.battery_level_pct = b.level_pct;
                r.battery_state = b.state;
                r.power_w = b.power_w;
            }
        }
        if self.thermal.is_ok() {
            r.thermal_state = thermal_state().ok();
        }
    }
}

struct VmInfo {
    resident_size: u64,
    resident_size_peak: u64,
    phys_footprint: Option<u64>,
}

/// `struct task_vm_info` from <mach/task_info.h> up to revision 2, which is packed to 4 bytes.
#[repr(C, packed(4))]
struct TaskVmInfo {
    virtual_size: u64,
    region_count: i32,
    page_size: i32,
    resident_size: u64,
    resident_size_peak: u64,
    device: u64,
    device_peak: u64,
    internal: u64,
    internal_peak: u64,
    external: u64,
    external_peak: u64,
    reusable: u64,
    reusable_peak: u64,
    purgeable_volatile_pmap: u64,
    purgeable_volatile_resident: u64,
    purgeable_volatile_virtual: u64,
    compressed: u64,
    compressed_peak: u64,
    compressed_lifetime: u64,
    /// Revision 1.
    phys_footprint: u64,
    /// Revision 2.
    min_address: u64,
    max_address: u64,
}

const TASK_VM_INFO: libc::task_flavor_t = 22;
const NATURAL: usize = std::mem::size_of::<libc::natural_t>();

fn task_vm_info() -> Result<VmInfo, String> {
    let mut info = std::mem::MaybeUninit::<TaskVmInfo>::zeroed();
    let mut count = (std::mem::size_of::<TaskVmInfo>() / NATURAL) as libc::mach_msg_type_number_t;
    // SAFETY: the buffer is `count` naturals long and task_info writes at most that many,
    // reporting how many it wrote in `count`.
    let kr = unsafe {
        #[allow(deprecated)] // libc points at the mach2 crate; the call itself is stable
        let task = libc::mach_task_self();
        libc::task_info(task, TASK_VM_INFO, info.as_mut_ptr().cast(), &mut count)
    };
    if kr != libc::KERN_SUCCESS {
        return Err(format!(
            "task_info(TASK_VM_INFO) failed with kern_return {kr}"
        ));
    }
    // SAFETY: zero-initialised and then (partly) filled by the kernel; all fields are plain ints.
    let info = unsafe { info.assume_init() };
    let rev1_count =
        (std::mem::offset_of!(TaskVmInfo, min_address) / NATURAL) as libc::mach_msg_type_number_t;
    Ok(VmInfo {
        resident_size: info.resident_size,
        resident_size_peak: info.resident_size_peak,
        phys_footprint: (count >= rev1_count).then_some(info.phys_footprint),
    })
}

#[cfg(target_os = "ios")]
fn headroom() -> Result<u64, String> {
    // SAFETY: no arguments, no preconditions.
    let bytes = unsafe { os_proc_available_memory() };
    if bytes == 0 {
        // Zero means "no limit applies" (e.g. the simulator), not "nothing left".
        Err("os_proc_available_memory reports no memory limit for this process".to_string())
    } else {
        Ok(bytes as u64)
    }
}

#[cfg(not(target_os = "ios"))]
fn headroom() -> Result<u64, String> {
    Err("os_proc_available_memory exists only on iOS".to_string())
}

fn class(name: &CStr) -> Result<&'static AnyClass, String> {
    AnyClass::get(name)
        .ok_or_else(|| format!("{} is not loaded in this process", name.to_string_lossy()))
}

/// `NSProcessInfo.processInfo.thermalState`.
fn thermal_state() -> Result<ThermalState, String> {
    let cls = class(c"NSProcessInfo")?;
    objc2::rc::autoreleasepool(|_| {
        // SAFETY: +[NSProcessInfo processInfo] returns the shared instance.
        let info: Option<Retained<AnyObject>> = unsafe { msg_send![cls, processInfo] };
        let info = info.ok_or_else(|| "NSProcessInfo.processInfo returned nil".to_string())?;
        // SAFETY: thermalState (macOS 10.10.3+, iOS 11+) returns an NSInteger enum.
        let state: isize = unsafe { msg_send![&*info, thermalState] };
        match state {
            0 => Ok(ThermalState::Nominal),
            1 => Ok(ThermalState::Fair),
            2 => Ok(ThermalState::Serious),
            3 => Ok(ThermalState::Critical),
            other => Err(format!("unknown NSProcessInfoThermalState {other}")),
        }
    })
}

fn sysctl_string(name: &CStr) -> Result<String, String> {
    let fail = || format!("sysctl {} is not available", name.to_string_lossy());
    let mut len: libc::size_t = 0;
    // SAFETY: a null buffer asks for the size only.
    let rc = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            std::ptr::null_mut(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 || len == 0 {
        return Err(fail());
    }
    let mut buf = vec![0u8; len];
    // SAFETY: `buf` is `len` bytes long and sysctl writes at most `len`.
    let rc = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return Err(fail());
    }
    buf.truncate(len);
    let text = String::from_utf8_lossy(&buf);
    let value = text.trim_end_matches('\0').trim();
    if value.is_empty() {
        return Err(fail());
    }
    Ok(value.to_string())
}

fn sysctl_i32(name: &CStr) -> Result<i32, String> {
    let mut value: i32 = 0;
    let mut len = std::mem::size_of::<i32>();
    // SAFETY: `value` is an i32 and `len` says so.
    let rc = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            (&mut value as *mut i32).cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 || len != std::mem::size_of::<i32>() {
        return Err(format!(
            "sysctl {} is not available",
            name.to_string_lossy()
        ));
    }
    Ok(value)
}

/// The hardware identifier: `Mac14,2` on macOS (`hw.model`), `iPhone15,2` on iOS
/// (`hw.machine`); the simulator reports the simulated device through its environment.
fn model_identifier() -> Result<String, String> {
    if cfg!(target_os = "macos") {
        return sysctl_string(c"hw.model");
    }
    if let Ok(simulated) = std::env::var("SIMULATOR_MODEL_IDENTIFIER") {
        if !simulated.is_empty() {
            return Ok(simulated);
        }
    }
    sysctl_string(c"hw.machine")
}

pub(crate) fn identity() -> PlatformIdentity {
    let model = model_identifier();
    let os = if cfg!(target_os = "macos") {
        "macOS"
    } else if model.as_deref().is_ok_and(|m| m.starts_with("iPad")) {
        "iPadOS"
    } else if cfg!(target_os = "ios") {
        "iOS"
    } else {
        std::env::consts::OS
    };
    let device_name = match &model {
        Ok(m) => crate::apple_models::apple_marketing_name(m)
            .map(str::to_string)
            .ok_or_else(|| format!("no marketing name is known for {m}")),
        Err(e) => Err(e.clone()),
    };
    // hw.nperflevels exists from macOS 12 / iOS 15; one level means no efficiency cores.
    let levels = sysctl_i32(c"hw.nperflevels");
    let count = |v: Result<i32, String>| v.map(|n| n.max(0) as usize);
    let performance_cores = count(
        levels
            .clone()
            .and_then(|_| sysctl_i32(c"hw.perflevel0.physicalcpu")),
    );
    let efficiency_cores = match levels {
        Ok(n) if n >= 2 => count(sysctl_i32(c"hw.perflevel1.physicalcpu")),
        Ok(_) => Ok(0),
        Err(e) => Err(e),
    };
    let apple_silicon = cfg!(target_arch = "aarch64");
    let gpu = if apple_silicon {
        Ok(sysctl_string(c"machdep.cpu.brand_string")
            .map_or_else(|_| "Apple GPU".to_string(), |chip| format!("{chip} GPU")))
    } else {
        Err("the GPU of Intel Macs and the x86_64 simulator is not probed".to_string())
    };
    let metal = if apple_silicon {
        Ok(true)
    } else {
        Err("Metal support is not probed on Intel Macs or the x86_64 simulator".to_string())
    };
    PlatformIdentity {
        os: os.to_string(),
        device_model: model,
        device_name,
        performance_cores,
        efficiency_cores,
        gpu,
        metal,
    }
}

struct BatteryNow {
    level_pct: Option<f64>,
    state: Option<BatteryState>,
    power_w: Option<f64>,
}

/// iOS: `UIDevice` battery monitoring. Apps cannot read the power draw.
#[cfg(not(target_os = "macos"))]
mod battery {
    use super::*;

    pub(super) const NO_POWER: &str = "iOS does not expose the battery's power draw to apps";

    pub(super) fn read() -> Result<BatteryNow, String> {
        let cls = class(c"UIDevice")?;
        objc2::rc::autoreleasepool(|_| {
            // SAFETY: +[UIDevice currentDevice] returns the shared instance; the battery
            // properties are plain scalars. The app should enable monitoring on the main thread
            // at start-up; enabling it again here is idempotent.
            unsafe {
                let device: Option<Retained<AnyObject>> = msg_send![cls, currentDevice];
                let device =
                    device.ok_or_else(|| "UIDevice.currentDevice returned nil".to_string())?;
                let enabled: bool = msg_send![&*device, isBatteryMonitoringEnabled];
                if !enabled {
                    let _: () = msg_send![&*device, setBatteryMonitoringEnabled: true];
                }
                let level: f32 = msg_send![&*device, batteryLevel];
                let state: isize = msg_send![&*device, batteryState];
                if level < 0.0 {
                    return Err(
                        "UIDevice reports no battery level (the simulator has no battery)"
                            .to_string(),
                    );
                }
                Ok(BatteryNow {
                    level_pct: Some(f64::from(level) * 100.0),
                    state: Some(match state {
                        1 => BatteryState::Discharging,
                        2 => BatteryState::Charging,
                        3 => BatteryState::Full,
                        _ => BatteryState::Unknown,
                    }),
                    power_w: None,
                })
            }
        })
    }
}

/// macOS: the internal battery among IOKit's power sources (IOPSKeys.h).
#[cfg(target_os = "macos")]
mod battery {
    use super::*;
    use std::ffi::{c_char, c_void};

    pub(super) const NO_POWER: &str =
        "the IOKit power source reports no Current and Voltage for the battery";

    type CFTypeRef = *const c_void;
    type CFIndex = isize;
    const UTF8: u32 = 0x0800_0100;
    const SINT64: CFIndex = 4;

    #[link(name = "IOKit", kind = "framework")]
    extern "C" {
        fn IOPSCopyPowerSourcesInfo() -> CFTypeRef;
        fn IOPSCopyPowerSourcesList(blob: CFTypeRef) -> CFTypeRef;
        fn IOPSGetPowerSourceDescription(blob: CFTypeRef, ps: CFTypeRef) -> CFTypeRef;
    }

    #[link(name = "CoreFoundation", kind = "framework")]
    extern "C" {
        fn CFRelease(cf: CFTypeRef);
        fn CFGetTypeID(cf: CFTypeRef) -> usize;
        fn CFStringGetTypeID() -> usize;
        fn CFNumberGetTypeID() -> usize;
        fn CFBooleanGetTypeID() -> usize;
        fn CFArrayGetCount(array: CFTypeRef) -> CFIndex;
        fn CFArrayGetValueAtIndex(array: CFTypeRef, index: CFIndex) -> CFTypeRef;
        fn CFDictionaryGetValue(dict: CFTypeRef, key: CFTypeRef) -> CFTypeRef;
        fn CFStringCreateWithCString(
            alloc: CFTypeRef,
            s: *const c_char,
            encoding: u32,
        ) -> CFTypeRef;
        fn CFStringGetCString(s: CFTypeRef, buf: *mut c_char, size: CFIndex, encoding: u32) -> u8;
        fn CFNumberGetValue(number: CFTypeRef, kind: CFIndex, value: *mut c_void) -> u8;
        fn CFBooleanGetValue(boolean: CFTypeRef) -> u8;
    }

    /// A CoreFoundation object from a Copy/Create function, released on drop.
    struct Owned(CFTypeRef);

    impl Owned {
        fn new(cf: CFTypeRef) -> Option<Owned> {
            (!cf.is_null()).then_some(Owned(cf))
        }
    }

    impl Drop for Owned {
        fn drop(&mut self) {
            // SAFETY: created by a Copy/Create function, released exactly once.
            unsafe { CFRelease(self.0) }
        }
    }

    /// Looks `key` up in a CFDictionary; the value follows the Get rule (not owned).
    unsafe fn value(dict: CFTypeRef, key: &CStr) -> CFTypeRef {
        match Owned::new(CFStringCreateWithCString(
            std::ptr::null(),
            key.as_ptr(),
            UTF8,
        )) {
            Some(k) => CFDictionaryGetValue(dict, k.0),
            None => std::ptr::null(),
        }
    }

    unsafe fn string(dict: CFTypeRef, key: &CStr) -> Option<String> {
        let v = value(dict, key);
        if v.is_null() || CFGetTypeID(v) != CFStringGetTypeID() {
            return None;
        }
        let mut buf = [0 as c_char; 128];
        (CFStringGetCString(v, buf.as_mut_ptr(), buf.len() as CFIndex, UTF8) != 0)
            .then(|| CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned())
    }

    unsafe fn number(dict: CFTypeRef, key: &CStr) -> Option<i64> {
        let v = value(dict, key);
        if v.is_null() || CFGetTypeID(v) != CFNumberGetTypeID() {
            return None;
        }
        let mut out: i64 = 0;
        (CFNumberGetValue(v, SINT64, (&mut out as *mut i64).cast()) != 0).then_some(out)
    }

    unsafe fn boolean(dict: CFTypeRef, key: &CStr) -> Option<bool> {
        let v = value(dict, key);
        if v.is_null() || CFGetTypeID(v) != CFBooleanGetTypeID() {
            return None;
        }
        Some(CFBooleanGetValue(v) != 0)
    }

    pub(super) fn read() -> Result<BatteryNow, String> {
        // SAFETY: CoreFoundation calls on objects we own (Owned) or borrow from them under the
        // Get rule, with type checks before every typed read.
        unsafe {
            let blob = Owned::new(IOPSCopyPowerSourcesInfo())
                .ok_or_else(|| "IOKit returned no power source information".to_string())?;
            let list = Owned::new(IOPSCopyPowerSourcesList(blob.0))
                .ok_or_else(|| "IOKit returned no power source list".to_string())?;
            for i in 0..CFArrayGetCount(list.0) {
                let desc = IOPSGetPowerSourceDescription(blob.0, CFArrayGetValueAtIndex(list.0, i));
                if desc.is_null() || string(desc, c"Type").as_deref() != Some("InternalBattery") {
                    continue;
                }
                let level_pct = match (
                    number(desc, c"Current Capacity"),
                    number(desc, c"Max Capacity"),
                ) {
                    (Some(now), Some(max)) if max > 0 => {
                        Some((now as f64 / max as f64 * 100.0).min(100.0))
                    }
                    _ => None,
                };
                let on_ac = string(desc, c"Power Source State").as_deref() == Some("AC Power");
                let state = if !on_ac {
                    BatteryState::Discharging
                } else if boolean(desc, c"Is Charging") == Some(true) {
                    BatteryState::Charging
                } else if boolean(desc, c"Is Charged") == Some(true) {
                    BatteryState::Full
                } else {
                    BatteryState::NotCharging
                };
                // "Current" is in mA (negative while discharging), "Voltage" in mV.
                let power_w = match (number(desc, c"Current"), number(desc, c"Voltage")) {
                    (Some(ma), Some(mv)) if ma != 0 && mv > 0 => {
                        Some(ma.unsigned_abs() as f64 * mv as f64 / 1e6)
                    }
                    _ => None,
                };
                return Ok(BatteryNow {
                    level_pct,
                    state: Some(state),
                    power_w,
                });
            }
            Err("no internal battery among IOKit's power sources (a desktop Mac)".to_string())
        }
    }
}
