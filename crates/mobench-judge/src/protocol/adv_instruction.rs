//! `grade_adv_instruction` (MobileAIBench `src/evaluation/utils.py`): how much the answers to
//! perturbed prompts drift from the answer to the clean prompt.
//!
//! Each row's `answer` column is `<group id>||<category>||<variant>`; the variant `original` is
//! the clean prompt. Every row's model output (as generated) is embedded
//! (text-embedding-3-small). For each group that has an original, sklearn's cosine distance
//! between the original's embedding and each variant's; the figure is 1 − the mean of all those
//! distances taken together (`np.mean` over the list of per-group distance rows). The category is
//! not used.

/// The variant that marks a group's clean prompt.
pub const ADV_ORIGINAL: &str = "original";

/// One row's `answer` column, split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvLabel<'a> {
    pub group: &'a str,
    pub category: &'a str,
    pub variant: &'a str,
}

/// Splits `<group>||<category>||<variant>`; `None` unless there are exactly three parts (Python's
/// `idx1, _, typ = s.split('||')` raises otherwise).
pub fn parse_adv_label(answer: &str) -> Option<AdvLabel<'_>> {
    let mut parts = answer.split("||");
    let (group, category, variant) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(AdvLabel {
        group,
        category,
        variant,
    })
}

/// One group that is scored: the row of its original and the rows of its variants, as indices
/// into the rows given to [`group_adv_rows`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvGroup {
    pub id: String,
    /// The category of the original's row.
    pub category: String,
    pub original: usize,
    /// In row order.
    pub variants: Vec<usize>,
}

/// The rows grouped as `grade_adv_instruction` groups them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdvGrouping {
    /// In the order the groups' first `original` rows come.
    pub groups: Vec<AdvGroup>,
    /// Rows that count for nothing: variants of a group with no original, and originals that a
    /// later original of the same group replaced (the Python keeps the last one).
    pub unused_rows: Vec<usize>,
}

/// Why adv_instruction cannot be scored (each of these made the Python raise).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdvError {
    #[error(
        "adv_instruction row {row}: answer `{answer}` is not `<group>||<category>||<variant>`"
    )]
    BadLabel { row: usize, answer: String },
    #[error("adv_instruction group `{group}` has an original but no perturbed variant")]
    NoVariants { group: String },
    #[error("adv_instruction: embeddings of {left} and {right} dimensions cannot be compared")]
    Dimension { left: usize, right: usize },
    #[error("adv_instruction: row {row} has no embedding")]
    MissingVector { row: usize },
}

/// Groups rows by their `answer` column (the sample's `reference`), in the rows' order, as the
/// Python's two dicts do: per group id, the last `original` row, and every other row as a variant.
/// Groups with no original are left out (their rows in `unused_rows`); a group with an original
/// and no variant is an error (a `KeyError` in the Python).
pub fn group_adv_rows<S: AsRef<str>>(answers: &[S]) -> Result<AdvGrouping, AdvError> {
    // (group id, category, original row) in first-insertion order, as a Python dict keeps it.
    let mut originals: Vec<(String, String, usize)> = Vec::new();
    let mut variants: Vec<(String, Vec<usize>)> = Vec::new();
    let mut unused = Vec::new();
    for (row, answer) in answers.iter().enumerate() {
        let answer = answer.as_ref();
        let label = parse_adv_label(answer).ok_or_else(|| AdvError::BadLabel {
            row,
            answer: answer.to_string(),
        })?;
        if label.variant == ADV_ORIGINAL {
            match originals.iter_mut().find(|(g, _, _)| g == label.group) {
                Some(slot) => {
                    unused.push(slot.2);
                    slot.1 = label.category.to_string();
                    slot.2 = row;
                }
                None => originals.push((label.group.to_string(), label.category.to_string(), row)),
            }
        } else {
            match variants.iter_mut().find(|(g, _)| g == label.group) {
                Some((_, rows)) => rows.push(row),
                None => variants.push((label.group.to_string(), vec![row])),
            }
        }
    }
    let mut groups = Vec::with_capacity(originals.len());
    for (id, category, original) in originals {
        let Some(pos) = variants.iter().position(|(g, _)| *g == id) else {
            return Err(AdvError::NoVariants { group: id });
        };
        let (_, rows) = variants.swap_remove(pos);
        groups.push(AdvGroup {
            id,
            category,
            original,
            variants: rows,
        });
    }
    unused.extend(variants.into_iter().flat_map(|(_, rows)| rows));
    unused.sort_unstable();
    Ok(AdvGrouping {
        groups,
        unused_rows: unused,
    })
}

/// sklearn's cosine distance (`pairwise_distances(metric='cosine')`): 1 − the cosine similarity
/// of the two vectors normalized to unit length (a zero vector stays zero, so its similarity is
/// 0), clipped to [0, 2]. Computed in f64, as numpy does on the API's floats.
pub fn cosine_distance(a: &[f32], b: &[f32]) -> Result<f64, AdvError> {
    if a.len() != b.len() {
        return Err(AdvError::Dimension {
            left: a.len(),
            right: b.len(),
        });
    }
    let norm = |v: &[f32]| {
        let n = v
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt();
        if n == 0.0 {
            1.0
        } else {
            n
        }
    };
    let (na, nb) = (norm(a), norm(b));
    let similarity: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) / na) * (f64::from(y) / nb))
        .sum();
    Ok((1.0 - similarity).clamp(0.0, 2.0))
}

/// One group's distances: the original's embedding against each variant's, in order.
pub fn adv_group_distances<V: AsRef<[f32]>>(
    original: &[f32],
    variants: &[V],
) -> Result<Vec<f64>, AdvError> {
    variants
        .iter()
        .map(|v| cosine_distance(original, v.as_ref()))
        .collect()
}

/// One group's own figure, 1 − its mean distance (for showing per sample; the dataset's figure
/// is [`adv_instruction_score`], not the mean of these when groups differ in size). `None` for no
/// variants.
pub fn adv_group_score<V: AsRef<[f32]>>(
    original: &[f32],
    variants: &[V],
) -> Result<Option<f64>, AdvError> {
    let d = adv_group_distances(original, variants)?;
    Ok(mean(d.iter().copied()).map(|m| 1.0 - m))
}

/// The dataset's figure from each group's distances: 1 − the mean of all distances together.
/// With MobileAIBench's data (50 groups of 11 variants) this is also the mean over groups of the
/// per-group mean; for groups of different sizes the Python's `np.mean` on a ragged list fails,
/// and we take every (original, variant) pair with equal weight. `None` for no distances.
pub fn adv_instruction_score<D: AsRef<[f64]>>(group_distances: &[D]) -> Option<f64> {
    mean(
        group_distances
            .iter()
            .flat_map(|d| d.as_ref().iter().copied()),
    )
    .map(|m| 1.0 - m)
}

/// The dataset's figure from the grouping and every row's embedding (`vectors[row]`; `None` for
/// a row with none). `Ok(None)` when no group was scored.
pub fn adv_instruction_score_for<V: AsRef<[f32]>>(
    grouping: &AdvGrouping,
    vectors: &[Option<V>],
) -> Result<Option<f64>, AdvError> {
    let vector = |row: usize| {
        vectors
            .get(row)
            .and_then(|v| v.as_ref())
            .map(|v| v.as_ref())
            .ok_or(AdvError::MissingVector { row })
    };
    let mut all = Vec::with_capacity(grouping.groups.len());
    for g in &grouping.groups {
        let original = vector(g.original)?;
        let variants = g
            .variants
            .iter()
            .map(|&r| vector(r))
            .collect::<Result<Vec<_>, _>>()?;
        all.push(adv_group_distances(original, &variants)?);
    }
    Ok(adv_instruction_score(&all))
}

/// A left-to-right sum divided by the count (numpy's pairwise summation differs in the last bits
/// only).
fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_in_three() {
        assert_eq!(
            parse_adv_label("0||History||original"),
            Some(AdvLabel {
                group: "0",
                category: "History",
                variant: "original"
            })
        );
        assert_eq!(
            parse_adv_label("12||Arts and Culture||Misspelling of words (three typos)")
                .unwrap()
                .variant,
            "Misspelling of words (three typos)"
        );
        assert_eq!(parse_adv_label("0||History"), None);
        assert_eq!(parse_adv_label("0||a||b||c"), None);
        assert_eq!(
            parse_adv_label("||||"),
            Some(AdvLabel {
                group: "",
                category: "",
                variant: ""
            })
        );
    }

    #[test]
    fn grouping_keeps_python_dict_semantics() {
        let rows = [
            "1||Food||word_change",    // 0: variant before its original
            "0||History||original",    // 1
            "0||History||one_url",     // 2
            "1||Food||original",       // 3
            "2||Travel||html_others",  // 4: group with no original
            "0||History||original",    // 5: replaces row 1, keeps group 0 first
            "1||Food||latex_markdown", // 6
            "0||History||detail_url",  // 7
        ];
        let g = group_adv_rows(&rows).unwrap();
        assert_eq!(
            g.groups,
            vec![
                AdvGroup {
                    id: "0".into(),
                    category: "History".into(),
                    original: 5,
                    variants: vec![2, 7]
                },
                AdvGroup {
                    id: "1".into(),
                    category: "Food".into(),
                    original: 3,
                    variants: vec![0, 6]
                },
            ]
        );
        assert_eq!(g.unused_rows, vec![1, 4]);
    }

    #[test]
    fn grouping_errors_where_python_raised() {
        assert_eq!(
            group_adv_rows(&["0||a||original", "1||a||x"]),
            Err(AdvError::NoVariants { group: "0".into() })
        );
        assert_eq!(
            group_adv_rows(&["0||a||original", "0|a|x"]),
            Err(AdvError::BadLabel {
                row: 1,
                answer: "0|a|x".into()
            })
        );
        assert_eq!(group_adv_rows::<&str>(&[]), Ok(AdvGrouping::default()));
    }

    #[test]
    fn cosine_distance_is_sklearns() {
        let d = |a: &[f32], b: &[f32]| cosine_distance(a, b).unwrap();
        assert_eq!(d(&[1.0, 0.0], &[2.0, 0.0]), 0.0);
        assert!((d(&[1.0, 0.0], &[0.0, 3.0]) - 1.0).abs() < 1e-15);
        assert_eq!(d(&[1.0, 0.0], &[-1.0, 0.0]), 2.0);
        // A zero vector: similarity 0, distance 1.
        assert_eq!(d(&[0.0, 0.0], &[1.0, 1.0]), 1.0);
        let x = d(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]);
        assert!((x - (1.0 - 10.0 / 14.0)).abs() < 1e-12, "{x}");
        assert_eq!(
            cosine_distance(&[1.0], &[1.0, 2.0]),
            Err(AdvError::Dimension { left: 1, right: 2 })
        );
    }

    #[test]
    fn score_pools_every_pair() {
        // Equal sizes: pooled mean == mean of group means.
        let s = adv_instruction_score(&[vec![0.1, 0.3], vec![0.2, 0.2]]).unwrap();
        assert!((s - 0.8).abs() < 1e-15);
        // Unequal sizes: each pair weighs the same.
        let s = adv_instruction_score(&[vec![0.0], vec![0.3, 0.3, 0.3]]).unwrap();
        assert!((s - (1.0 - 0.9 / 4.0)).abs() < 1e-15);
        assert_eq!(adv_instruction_score::<Vec<f64>>(&[]), None);
    }

    #[test]
    fn score_from_rows() {
        let rows = ["0||a||original", "0||a||x", "0||a||y"];
        let g = group_adv_rows(&rows).unwrap();
        let v = vec![
            Some(vec![1.0f32, 0.0]),
            Some(vec![1.0, 0.0]),
            Some(vec![0.0, 1.0]),
        ];
        let s = adv_instruction_score_for(&g, &v).unwrap().unwrap();
        assert!((s - 0.5).abs() < 1e-15);
        assert_eq!(
            adv_group_score(&[1.0, 0.0], &[[0.0f32, 1.0]]).unwrap(),
            Some(0.0)
        );
        let missing = vec![Some(vec![1.0f32, 0.0]), None, Some(vec![0.0, 1.0])];
        assert_eq!(
            adv_instruction_score_for(&g, &missing),
            Err(AdvError::MissingVector { row: 1 })
        );
    }
}
