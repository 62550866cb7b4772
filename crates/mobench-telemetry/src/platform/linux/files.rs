//! All file reading of the Linux backend: procfs files kept open between readings, and sysfs
//! folders read attribute by attribute for the pure parsers in [`crate::parse`].

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::parse::{self, Attr, ParseError, PowerSupply, ThermalZone};

/// Reads a small procfs/sysfs file into `buf`, replacing its contents, so that callers that read
/// the same files every interval can reuse one allocation. Whether the text makes sense (an
/// empty file included) is for the parsers to say.
pub fn read_into(path: &Path, buf: &mut String) -> Result<(), ParseError> {
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    read_file_into(&mut file, path, buf)
}

fn read_file_into(file: &mut File, path: &Path, buf: &mut String) -> Result<(), ParseError> {
    buf.clear();
    match file.read_to_string(buf) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::InvalidData => Err(ParseError::malformed(
            path.display().to_string(),
            "not UTF-8 text",
        )),
        Err(e) => Err(io_error(path, e)),
    }
}

fn io_error(path: &Path, e: std::io::Error) -> ParseError {
    if e.kind() == ErrorKind::NotFound {
        ParseError::Missing(path.display().to_string())
    } else {
        ParseError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// A procfs file kept open between readings.
pub(crate) struct ProcFile {
    path: PathBuf,
    file: Option<File>,
}

impl ProcFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        ProcFile { path, file: None }
    }

    /// Reads the file into `buf` and parses it.
    pub(crate) fn parse<T>(
        &mut self,
        buf: &mut String,
        parse: impl FnOnce(&str) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        self.read(buf)?;
        parse(buf)
    }

    fn read(&mut self, buf: &mut String) -> Result<(), ParseError> {
        let result = self.read_once(buf);
        if result.is_err() {
            // Reopen next time: the file may have been replaced (or, in tests, rewritten).
            self.file = None;
        }
        result
    }

    fn read_once(&mut self, buf: &mut String) -> Result<(), ParseError> {
        let file = match self.file.take() {
            Some(mut f) => {
                f.seek(SeekFrom::Start(0))
                    .map_err(|e| io_error(&self.path, e))?;
                f
            }
            None => File::open(&self.path).map_err(|e| io_error(&self.path, e))?,
        };
        read_file_into(self.file.insert(file), &self.path, buf)
    }
}

/// The trimmed text of the attribute `name` of the sysfs folder `dir`, read through `buf`.
pub(crate) fn attr(dir: &Path, name: &str, buf: &mut String) -> Attr {
    read_into(&dir.join(name), buf).map(|()| buf.trim().to_string())
}

/// The entries of a folder, sorted by path.
pub(crate) fn entries(root: &Path) -> Result<Vec<PathBuf>, ParseError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| io_error(root, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads each folder with `read`, skipping (and logging) those it cannot make sense of.
fn read_each<T>(
    dirs: Vec<PathBuf>,
    what: &str,
    mut read: impl FnMut(&Path) -> Result<T, ParseError>,
) -> Vec<T> {
    dirs.iter()
        .filter_map(|dir| {
            read(dir)
                .inspect_err(|e| tracing::debug!(error = %e, "skipping {what}"))
                .ok()
        })
        .collect()
}

/// Reads one power supply folder (see [`parse::power_supply`]).
pub fn power_supply(dir: &Path) -> Result<PowerSupply, ParseError> {
    power_supply_with(dir, &mut String::new())
}

fn power_supply_with(dir: &Path, buf: &mut String) -> Result<PowerSupply, ParseError> {
    parse::power_supply(&file_name(dir), &dir.display().to_string(), |name| {
        attr(dir, name, buf)
    })
}

/// Reads every entry of a `/sys/class/power_supply`-like folder. Entries without a readable
/// `type` (not a power supply, or a broken driver) are skipped.
pub fn power_supplies(root: &Path) -> Result<Vec<PowerSupply>, ParseError> {
    power_supplies_with(root, &mut String::new())
}

pub(crate) fn power_supplies_with(
    root: &Path,
    buf: &mut String,
) -> Result<Vec<PowerSupply>, ParseError> {
    let mut dirs = entries(root)?;
    dirs.retain(|p| p.is_dir());
    Ok(read_each(dirs, "power supply", |dir| {
        power_supply_with(dir, buf)
    }))
}

/// Reads one `thermal_zoneN` folder (see [`parse::thermal_zone`]).
pub fn thermal_zone(dir: &Path) -> Result<ThermalZone, ParseError> {
    let mut buf = String::new();
    parse::thermal_zone(&file_name(dir), &dir.display().to_string(), |name| {
        attr(dir, name, &mut buf)
    })
}

/// Reads every `thermal_zone*` folder under a `/sys/class/thermal`-like root, in numeric order.
pub fn thermal_zones(root: &Path) -> Result<Vec<ThermalZone>, ParseError> {
    let mut dirs: Vec<(u32, PathBuf)> = entries(root)?
        .into_iter()
        .filter_map(|p| Some((file_name(&p).strip_prefix("thermal_zone")?.parse().ok()?, p)))
        .collect();
    dirs.sort();
    let dirs = dirs.into_iter().map(|(_, p)| p).collect();
    Ok(read_each(dirs, "thermal zone", thermal_zone))
}
