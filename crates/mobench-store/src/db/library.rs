//! The app's model library: which files the user imported, and how, and the vision projector
//! each is paired with.

use rusqlite::{params, OptionalExtension};

use super::{now, Store};
use crate::library::ModelSource;
use crate::Result;

impl Store {
    /// Adds (or re-adds) a model file to the library.
    pub fn library_add(&self, path: &str, source: ModelSource) -> Result<()> {
        self.conn.execute(
            "INSERT INTO library_models (path, source, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (path) DO UPDATE SET source = excluded.source",
            params![path, source.as_str(), now()],
        )?;
        Ok(())
    }

    /// The library in the order models were added.
    pub fn library(&self) -> Result<Vec<(String, ModelSource)>> {
        let mut st = self
            .conn
            .prepare("SELECT path, source FROM library_models ORDER BY added_at, rowid")?;
        let rows = st
            .query_map([], |r| {
                let source: String = r.get(1)?;
                Ok((
                    r.get(0)?,
                    if source == "copied" {
                        ModelSource::Copied
                    } else {
                        ModelSource::Referenced
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Forgets a model; returns how it had been added, `None` if it was not in the library.
    pub fn library_remove(&self, path: &str) -> Result<Option<ModelSource>> {
        let source = self
            .library()?
            .into_iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| s);
        self.conn
            .execute("DELETE FROM library_models WHERE path = ?1", [path])?;
        Ok(source)
    }
}

impl Store {
    /// Pairs a library model with its vision projector (`None`: with none). `false` when the
    /// model is not in the library.
    pub fn library_set_mmproj(&self, path: &str, mmproj: Option<&str>) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE library_models SET mmproj = ?2 WHERE path = ?1",
            params![path, mmproj],
        )?;
        Ok(changed > 0)
    }

    /// The vision projector a library model is paired with (`None` also for a model that is not
    /// in the library).
    pub fn library_mmproj(&self, path: &str) -> Result<Option<String>> {
        let found = self
            .conn
            .query_row(
                "SELECT mmproj FROM library_models WHERE path = ?1",
                [path],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?;
        Ok(found.flatten())
    }

    /// The library models paired with the projector at `mmproj`.
    pub fn library_models_with_mmproj(&self, mmproj: &str) -> Result<Vec<String>> {
        let mut st = self.conn.prepare(
            "SELECT path FROM library_models WHERE mmproj = ?1 ORDER BY added_at, rowid",
        )?;
        let rows = st
            .query_map([mmproj], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_list_remove() {
        let store = Store::open_in_memory().unwrap();
        store.library_add("/m/a.gguf", ModelSource::Copied).unwrap();
        store
            .library_add("/m/b.gguf", ModelSource::Referenced)
            .unwrap();
        store.library_add("/m/a.gguf", ModelSource::Copied).unwrap();
        assert_eq!(
            store.library().unwrap(),
            vec![
                ("/m/a.gguf".to_string(), ModelSource::Copied),
                ("/m/b.gguf".to_string(), ModelSource::Referenced)
            ]
        );
        assert_eq!(
            store.library_remove("/m/b.gguf").unwrap(),
            Some(ModelSource::Referenced)
        );
        assert_eq!(store.library_remove("/m/b.gguf").unwrap(), None);
        assert_eq!(store.library().unwrap().len(), 1);
    }

    #[test]
    fn a_model_is_paired_with_a_projector_and_unpaired() {
        let store = Store::open_in_memory().unwrap();
        store.library_add("/m/a.gguf", ModelSource::Copied).unwrap();
        store
            .library_add("/m/b.gguf", ModelSource::Referenced)
            .unwrap();
        assert_eq!(store.library_mmproj("/m/a.gguf").unwrap(), None);
        assert!(store
            .library_set_mmproj("/m/a.gguf", Some("/m/mmproj-a.gguf"))
            .unwrap());
        assert!(store
            .library_set_mmproj("/m/b.gguf", Some("/m/mmproj-a.gguf"))
            .unwrap());
        assert_eq!(
            store.library_mmproj("/m/a.gguf").unwrap().as_deref(),
            Some("/m/mmproj-a.gguf")
        );
        assert_eq!(
            store
                .library_models_with_mmproj("/m/mmproj-a.gguf")
                .unwrap(),
            ["/m/a.gguf", "/m/b.gguf"]
        );
        // Importing the model again keeps its projector.
        store.library_add("/m/a.gguf", ModelSource::Copied).unwrap();
        assert!(store.library_mmproj("/m/a.gguf").unwrap().is_some());
        assert!(store.library_set_mmproj("/m/a.gguf", None).unwrap());
        assert_eq!(store.library_mmproj("/m/a.gguf").unwrap(), None);
        // Not in the library: nothing to pair.
        assert!(!store
            .library_set_mmproj("/m/zz.gguf", Some("/m/mmproj-a.gguf"))
            .unwrap());
        assert_eq!(store.library_mmproj("/m/zz.gguf").unwrap(), None);
    }
}
