//! Length of the longest common subsequence, bit-parallel (Allison–Dix /
//! Hyyrö): O(n · ⌈m/64⌉) time and O(m) memory for sequences of length n ≥ m.
//! Used by ROUGE-L (on tokens) and the Levenshtein ratio (on code points),
//! where a plain O(n·m) table would cost milliseconds per long summary.

use std::collections::HashMap;
use std::hash::Hash;

pub(crate) fn lcs_len<T: Eq + Hash>(a: &[T], b: &[T]) -> usize {
    let (pattern, text) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if pattern.is_empty() {
        return 0;
    }
    let words = pattern.len().div_ceil(64);

    // Sparse match masks: for each symbol, the non-zero 64-bit words of the
    // set of pattern positions holding it, in increasing word order.
    let mut masks: HashMap<&T, Vec<(usize, u64)>> = HashMap::new();
    for (i, symbol) in pattern.iter().enumerate() {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let entries = masks.entry(symbol).or_default();
        match entries.last_mut() {
            Some((last, bits)) if *last == word => *bits |= bit,
            _ => entries.push((word, bit)),
        }
    }

    // Zero bits of `row` mark pattern positions that end a matched prefix.
    let mut row = vec![u64::MAX; words];
    for symbol in text {
        let Some(entries) = masks.get(symbol) else {
            continue;
        };
        let mut carry = 0u64;
        let mut next = entries.iter().peekable();
        let mut k = entries[0].0;
        while k < words {
            let mask = match next.peek() {
                Some(&&(word, bits)) if word == k => {
                    next.next();
                    bits
                }
                _ => 0,
            };
            if mask == 0 && carry == 0 {
                match next.peek() {
                    Some(&&(word, _)) => {
                        k = word;
                        continue;
                    }
                    None => break,
                }
            }
            let matched = row[k] & mask;
            let (sum, overflow_a) = row[k].overflowing_add(matched);
            let (sum, overflow_b) = sum.overflowing_add(carry);
            carry = u64::from(overflow_a || overflow_b);
            row[k] = sum | (row[k] & !matched);
            k += 1;
        }
    }

    let tail_bits = pattern.len() % 64;
    row.iter()
        .enumerate()
        .map(|(k, &word)| {
            let valid = if k == words - 1 && tail_bits != 0 {
                (1u64 << tail_bits) - 1
            } else {
                u64::MAX
            };
            (!word & valid).count_ones() as usize
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::lcs_len;

    fn naive(a: &[u8], b: &[u8]) -> usize {
        let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                table[i][j] = if a[i - 1] == b[j - 1] {
                    table[i - 1][j - 1] + 1
                } else {
                    table[i - 1][j].max(table[i][j - 1])
                };
            }
        }
        table[a.len()][b.len()]
    }

    #[test]
    fn agrees_with_the_dynamic_programme_across_word_boundaries() {
        // A small LCG keeps the test deterministic without a dev-dependency.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |modulo: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % modulo
        };
        for round in 0..300 {
            let alphabet = 1 + next(6);
            let la = next(if round % 3 == 0 { 200 } else { 70 }) as usize;
            let lb = next(150) as usize;
            let a: Vec<u8> = (0..la).map(|_| next(alphabet) as u8).collect();
            let b: Vec<u8> = (0..lb).map(|_| next(alphabet) as u8).collect();
            assert_eq!(lcs_len(&a, &b), naive(&a, &b), "{a:?} {b:?}");
        }
    }

    #[test]
    fn edge_cases() {
        assert_eq!(lcs_len::<u8>(&[], &[]), 0);
        assert_eq!(lcs_len(b"abc", b""), 0);
        assert_eq!(lcs_len(b"abcbdab", b"bdcaba"), 4);
        let long = vec![7u8; 130];
        assert_eq!(lcs_len(&long, &long), 130);
    }
}
