//! The starter suite's files, compiled into the binary so `mobench run` works anywhere.

macro_rules! starter_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../../datasets/starter/", $name)) as &[u8])),*]
    };
}

const FILES: &[(&str, &[u8])] = starter_files!(
    "qa.csv",
    "summarization.csv",
    "text2sql.csv",
    "mmlu.csv",
    "gsm8k.csv",
    "bbq.csv",
    "social_chemistry.csv",
    "refusal.csv",
    "mt_bench.jsonl",
);

pub(crate) fn file(name: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

#[cfg(test)]
mod tests {
    use crate::{load, Catalog};

    #[test]
    fn every_starter_dataset_is_embedded_and_matches_its_catalog_entry() {
        let c = Catalog::builtin();
        let starter: Vec<_> = c.datasets().iter().filter(|d| d.is_builtin()).collect();
        assert!(starter.len() >= 7);
        for d in starter {
            let ds = load::load(d, None).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                ds.sha256, d.sha256,
                "{}: sha256 in starter.toml is stale",
                d.name
            );
            assert_eq!(ds.examples.len(), d.rows, "{}: rows", d.name);
            assert_eq!(
                super::file(&d.file).unwrap().len() as u64,
                d.bytes,
                "{}",
                d.name
            );
        }
    }
}
