//! The app's model library: which files the user imported, and how.

use rusqlite::params;

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
}
