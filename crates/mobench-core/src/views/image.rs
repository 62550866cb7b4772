//! A sample's image for a web view that reads no files of its own: the bytes as a `data:` URL,
//! given out only for an image in the app's datasets folder or one a stored run showed its model.

use std::io::Read;
use std::path::{Component, Path};

use mobench_store::Store;

use crate::error::{io_error, AppError, AppResult, ErrorCode};

/// Larger files are not images of a benchmark set (MobileAIBench's are under 0.5 MB).
const MAX_IMAGE_BYTES: u64 = 16 << 20;

/// The image formats a web view shows, by their first bytes.
fn image_type(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if head.starts_with(b"BM") {
        Some("image/bmp")
    } else {
        None
    }
}

fn canonical(p: &Path) -> Option<std::path::PathBuf> {
    std::fs::canonicalize(p).ok()
}

fn refused(path: &str, why: &str) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("{path}: {why}"))
}

/// The image at `path` as a `data:` URL. Only an image file under `datasets_dir`, or one that a
/// sample of run `run_id` stored as its image, is read; anything else is refused unread.
pub fn image_data_url(
    store: &Store,
    datasets_dir: &Path,
    run_id: Option<i64>,
    path: &str,
) -> AppResult<String> {
    let file = Path::new(path);
    // `..` could climb out of a folder that `starts_with` accepts.
    if !file.is_absolute() || file.components().any(|c| c == Component::ParentDir) {
        return Err(refused(path, "not an absolute path to an image"));
    }
    let in_datasets = canonical(file)
        .zip(canonical(datasets_dir))
        .is_some_and(|(f, d)| f.starts_with(d));
    let in_run = || -> AppResult<bool> {
        let Some(id) = run_id else { return Ok(false) };
        Ok(store
            .samples(id)?
            .iter()
            .any(|s| s.image_path.as_deref() == Some(path)))
    };
    if !in_datasets && !in_run()? {
        return Err(refused(
            path,
            "not an image of a dataset or of the run's samples, so it is not shown",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| io_error(ErrorCode::NotFound, file, &e))?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(refused(path, "larger than an image of a benchmark set"));
    }
    let mime = image_type(&bytes)
        .ok_or_else(|| refused(path, "not a JPEG, PNG, GIF, WebP or BMP image"))?;
    Ok(format!("data:{mime};base64,{}", base64(&bytes)))
}

/// Standard base64 with padding (RFC 4648 §4), as a `data:` URL carries it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn images_are_told_by_their_first_bytes() {
        assert_eq!(image_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"GGUF\x03\0\0\0"), None);
        assert_eq!(image_type(b"<svg"), None);
    }
}
