//! Free disk space, checked before a download starts so that a model that cannot fit is refused
//! at once instead of filling the disk.

use std::path::Path;

/// Bytes free for this user in the file system holding `dir` (or its nearest existing parent);
/// `None` where it cannot be read.
pub fn available(dir: &Path) -> Option<u64> {
    let existing = dir.ancestors().find(|p| p.exists())?;
    available_at(existing)
}

#[cfg(unix)]
fn available_at(path: &Path) -> Option<u64> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c_path = CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid NUL-terminated path and a zeroed struct the call fills in.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    (rc == 0).then(|| (stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}

#[cfg(not(unix))]
fn available_at(_path: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_temp_folder_has_some_space() {
        let dir = tempfile::tempdir().unwrap();
        let free = super::available(&dir.path().join("not/yet/made")).unwrap();
        assert!(free > 0);
    }
}
