//! The official VQA accuracy, as `vqaEval.py` of the VQA evaluation tools
//! (github.com/GT-Vision-Lab/VQA, `PythonEvaluationTools/vqaEvaluation`)
//! computes it for VQA v1/v2, checked against that code by `vectors/vqa.json`.
//!
//! A question has several human answers (ten in VQA v2). Newlines and tabs
//! become spaces and the answers and the prediction are stripped. Only when the
//! answers are then not all identical are they and the prediction normalized
//! ([`process_answer`]): punctuation dropped or spaced, a limited number of
//! periods removed, lower-cased, number words made digits, articles dropped,
//! contractions given their apostrophes. When the humans all agree, the
//! comparison is on the stripped strings as they are, so `Blue` does not match
//! ten `blue`s — the official code does so, and this port keeps it.
//!
//! The accuracy is the mean, over the answers, of
//! `min(1, (number of the other answers equal to the prediction) / 3)`: a
//! prediction matching four or more humans scores 1, one matching a single
//! human scores 0.3.
//!
//! Text is handled as CPython 3 does (`str.split`, `str.strip`, `str.lower`,
//! `\d` as any Unicode decimal digit), since the vectors come from running the
//! official code under Python 3.

use unicode_general_category::{get_general_category, GeneralCategory};

use crate::{pytext, Outcome};

/// `processPunctuation`'s list: each is removed when it touches a space
/// somewhere in the answer (or the answer has a digit-comma-digit), else
/// replaced by a space. Apostrophes, periods, colons and others are kept.
const PUNCTUATION: [char; 21] = [
    ';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',',
    '?', '!',
];

/// The official code passes `re.UNICODE` (32) where `Pattern.sub` takes its
/// `count`, so only the first 32 strippable periods are removed.
const PERIOD_STRIP_LIMIT: usize = 32;

/// `\d` in a Python 3 `str` pattern: a Unicode decimal digit (category Nd).
fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
        || (!c.is_ascii() && get_general_category(c) == GeneralCategory::DecimalNumber)
}

/// Whether `text` contains a digit, a comma and a digit in a row (`commaStrip`).
fn has_digit_comma_digit(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(3)
        .any(|w| is_digit(w[0]) && w[1] == ',' && is_digit(w[2]))
}

/// `processPunctuation`: every listed punctuation mark is deleted when the
/// input has it next to a space (`"p "` or `" p"`) or has a digit-comma-digit
/// anywhere, and replaced by a space otherwise; then the first 32 periods not
/// followed by a digit are deleted (`periodStrip`, whose `(?!<=\d)` is a
/// lookahead that never applies before a period).
pub fn process_punctuation(text: &str) -> String {
    let delete_all = has_digit_comma_digit(text);
    let chars: Vec<char> = text.chars().collect();
    let mut spaced = Vec::new();
    for pair in chars.windows(2) {
        match (pair[0], pair[1]) {
            (p, ' ') | (' ', p) if PUNCTUATION.contains(&p) => spaced.push(p),
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(chars.len());
    for &c in &chars {
        if !PUNCTUATION.contains(&c) {
            out.push(c);
        } else if !(delete_all || spaced.contains(&c)) {
            out.push(' ');
        }
    }
    let mut stripped = String::with_capacity(out.len());
    let mut removed = 0;
    for (i, &c) in out.iter().enumerate() {
        let strippable = c == '.' && !out.get(i + 1).is_some_and(|&next| is_digit(next));
        if strippable && removed < PERIOD_STRIP_LIMIT {
            removed += 1;
        } else {
            stripped.push(c);
        }
    }
    stripped
}

/// `processDigitArticle`: lower-cased and split on whitespace; number words
/// `none`, `zero` … `ten` become digits, the articles `a`, `an`, `the` are
/// dropped, contractions written without their apostrophes get them back, and
/// the words are joined by single spaces.
pub fn process_digit_article(text: &str) -> String {
    let lower = pytext::lower(text);
    let words: Vec<&str> = pytext::split(&lower)
        .map(|word| number_word(word).unwrap_or(word))
        .filter(|word| !matches!(*word, "a" | "an" | "the"))
        .map(|word| contraction(word).unwrap_or(word))
        .collect();
    words.join(" ")
}

/// Both normalizations, in the official order.
pub fn process_answer(text: &str) -> String {
    process_digit_article(&process_punctuation(text))
}

/// Newlines and tabs made spaces, then `str.strip()`: what the official code
/// does to every answer and prediction before anything else (and all it does
/// when the human answers are identical).
pub fn clean_answer(text: &str) -> String {
    pytext::strip(&text.replace(['\n', '\t'], " ")).to_string()
}

/// The accuracy of `prediction` against the human `answers`, with the
/// prediction as it was compared (normalized or only cleaned); `None` when
/// there are no answers.
fn compare<S: AsRef<str>>(prediction: &str, answers: &[S]) -> Option<(f64, String)> {
    if answers.is_empty() {
        return None;
    }
    let mut answers: Vec<String> = answers.iter().map(|a| clean_answer(a.as_ref())).collect();
    let mut prediction = clean_answer(prediction);
    if answers.iter().any(|a| *a != answers[0]) {
        answers = answers.iter().map(|a| process_answer(a)).collect();
        prediction = process_answer(&prediction);
    }
    let matching = answers.iter().filter(|a| **a == prediction).count();
    let total: f64 = answers
        .iter()
        .map(|a| {
            let others = matching - usize::from(*a == prediction);
            (others as f64 / 3.0).min(1.0)
        })
        .sum();
    Some((total / answers.len() as f64, prediction))
}

/// The VQA accuracy of `prediction` against the human `answers` (in `[0, 1]`;
/// `None` when there are no answers).
pub fn vqa_accuracy<S: AsRef<str>>(prediction: &str, answers: &[S]) -> Option<f64> {
    compare(prediction, answers).map(|(accuracy, _)| accuracy)
}

/// [`crate::Metric::VqaAccuracy`]: `reference` is a JSON array of the human
/// answers; `extracted` is the prediction as compared.
pub(crate) fn score(prediction: &str, reference: &str) -> Outcome {
    let Ok(answers) = serde_json::from_str::<Vec<String>>(reference) else {
        return Outcome::missing(
            "reference is not a JSON array of strings (vqa_accuracy takes the human answers)",
        );
    };
    match compare(prediction, &answers) {
        Some((value, compared)) => Outcome::Value {
            value,
            extracted: Some(compared),
            flag: None,
        },
        None => Outcome::missing("reference has no answers"),
    }
}

/// `manualMap`.
fn number_word(word: &str) -> Option<&'static str> {
    Some(match word {
        "none" | "zero" => "0",
        "one" => "1",
        "two" => "2",
        "three" => "3",
        "four" => "4",
        "five" => "5",
        "six" => "6",
        "seven" => "7",
        "eight" => "8",
        "nine" => "9",
        "ten" => "10",
        _ => return None,
    })
}

/// The official `contractions` map. Its keys with capitals (`Im`, `Ive`,
/// `Id've`, `I'dve`) are left out: words are lower-cased before the lookup,
/// so the official code never finds them either. Some entries map a word to
/// itself, and `somebody'd` loses its apostrophe; both as in the original.
fn contraction(word: &str) -> Option<&'static str> {
    Some(match word {
        "aint" => "ain't",
        "arent" => "aren't",
        "cant" => "can't",
        "couldve" => "could've",
        "couldnt" => "couldn't",
        "couldn'tve" | "couldnt've" => "couldn't've",
        "didnt" => "didn't",
        "doesnt" => "doesn't",
        "dont" => "don't",
        "hadnt" => "hadn't",
        "hadnt've" | "hadn'tve" => "hadn't've",
        "hasnt" => "hasn't",
        "havent" => "haven't",
        "hed" => "he'd",
        "hed've" | "he'dve" => "he'd've",
        "hes" => "he's",
        "howd" => "how'd",
        "howll" => "how'll",
        "hows" => "how's",
        "isnt" => "isn't",
        "itd" => "it'd",
        "itd've" | "it'dve" => "it'd've",
        "itll" => "it'll",
        "let's" => "let's",
        "maam" => "ma'am",
        "mightnt" => "mightn't",
        "mightnt've" | "mightn'tve" => "mightn't've",
        "mightve" => "might've",
        "mustnt" => "mustn't",
        "mustve" => "must've",
        "neednt" => "needn't",
        "notve" => "not've",
        "oclock" => "o'clock",
        "oughtnt" => "oughtn't",
        "ow's'at" | "'ows'at" | "'ow'sat" => "'ow's'at",
        "shant" => "shan't",
        "shed've" | "she'dve" => "she'd've",
        "she's" => "she's",
        "shouldve" => "should've",
        "shouldnt" => "shouldn't",
        "shouldnt've" | "shouldn'tve" => "shouldn't've",
        "somebody'd" => "somebodyd",
        "somebodyd've" | "somebody'dve" => "somebody'd've",
        "somebodyll" => "somebody'll",
        "somebodys" => "somebody's",
        "someoned" => "someone'd",
        "someoned've" | "someone'dve" => "someone'd've",
        "someonell" => "someone'll",
        "someones" => "someone's",
        "somethingd" => "something'd",
        "somethingd've" | "something'dve" => "something'd've",
        "somethingll" => "something'll",
        "thats" => "that's",
        "thered" => "there'd",
        "thered've" | "there'dve" => "there'd've",
        "therere" => "there're",
        "theres" => "there's",
        "theyd" => "they'd",
        "theyd've" | "they'dve" => "they'd've",
        "theyll" => "they'll",
        "theyre" => "they're",
        "theyve" => "they've",
        "twas" => "'twas",
        "wasnt" => "wasn't",
        "wed've" | "we'dve" => "we'd've",
        "weve" => "we've",
        "werent" => "weren't",
        "whatll" => "what'll",
        "whatre" => "what're",
        "whats" => "what's",
        "whatve" => "what've",
        "whens" => "when's",
        "whered" => "where'd",
        "wheres" => "where's",
        "whereve" => "where've",
        "whod" => "who'd",
        "whod've" | "who'dve" => "who'd've",
        "wholl" => "who'll",
        "whos" => "who's",
        "whove" => "who've",
        "whyll" => "why'll",
        "whyre" => "why're",
        "whys" => "why's",
        "wont" => "won't",
        "wouldve" => "would've",
        "wouldnt" => "wouldn't",
        "wouldnt've" | "wouldn'tve" => "wouldn't've",
        "yall" => "y'all",
        "yall'll" | "y'allll" => "y'all'll",
        "yall'd've" | "y'alld've" | "y'all'dve" => "y'all'd've",
        "youd" => "you'd",
        "youd've" | "you'dve" => "you'd've",
        "youll" => "you'll",
        "youre" => "you're",
        "youve" => "you've",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_BLUE: [&str; 10] = ["blue"; 10];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn accuracy_counts_the_other_humans() {
        // k of ten humans gave the prediction: k answers see k-1 others, 10-k see k.
        for k in 0..=10usize {
            let mut answers = vec!["red"; 10];
            answers[..k].fill("blue");
            let expected = (k as f64 * ((k as f64 - 1.0) / 3.0).clamp(0.0, 1.0)
                + (10 - k) as f64 * (k as f64 / 3.0).min(1.0))
                / 10.0;
            let got = vqa_accuracy("blue", &answers).unwrap();
            assert!(close(got, expected), "{k}: {got} vs {expected}");
        }
        assert!(close(vqa_accuracy("blue", &TEN_BLUE).unwrap(), 1.0));
        let one: f64 = vqa_accuracy(
            "purple",
            &["purple", "x", "x", "x", "x", "x", "x", "x", "x", "x"],
        )
        .unwrap();
        assert!(close(one, 0.3), "{one}");
        assert_eq!(vqa_accuracy::<&str>("blue", &[]), None);
    }

    #[test]
    fn identical_answers_are_compared_unprocessed() {
        assert!(close(vqa_accuracy(" blue\n", &TEN_BLUE).unwrap(), 1.0));
        assert_eq!(vqa_accuracy("Blue", &TEN_BLUE), Some(0.0));
        assert_eq!(vqa_accuracy("blue.", &TEN_BLUE), Some(0.0));
        assert_eq!(vqa_accuracy("two", &["2"; 10]), Some(0.0));
        // One differing answer turns processing on for all of them.
        let mut answers = TEN_BLUE;
        answers[9] = "navy";
        assert!(close(vqa_accuracy("The Blue.", &answers).unwrap(), 1.0));
    }

    #[test]
    fn answer_processing() {
        assert_eq!(process_answer("Two dogs!"), "2 dogs");
        assert_eq!(process_answer("the dont"), "don't");
        assert_eq!(process_answer("isnt it"), "isn't it");
        assert_eq!(process_answer("t-shirt"), "t shirt");
        assert_eq!(process_answer("t - shirt"), "t shirt");
        assert_eq!(process_answer("1,000 (approx)"), "1000 approx");
        assert_eq!(process_answer("3.5 m."), "3.5 m");
        assert_eq!(process_answer("yes, zebras"), "yes zebras");
        assert_eq!(process_punctuation("a,b"), "a b");
        assert_eq!(process_punctuation("..5"), ".5");
        let periods = ".".repeat(40);
        assert_eq!(process_punctuation(&periods), ".".repeat(8));
        assert_eq!(process_digit_article("Im somebody'd"), "im somebodyd");
    }

    #[test]
    fn score_reads_a_json_array() {
        let reference = r#"["blue","blue","purple","purple","blue","purple","purple","purple","purple","blue"]"#;
        assert_eq!(
            score("Purple.", reference),
            Outcome::Value {
                value: 1.0,
                extracted: Some("purple".into()),
                flag: None
            }
        );
        assert!(close(score("blue", reference).value().unwrap(), 1.0));
        for bad in ["blue", "", "[1, 2]", r#"{"a": "b"}"#, r#"["a", null]"#] {
            assert!(
                matches!(score("blue", bad), Outcome::Missing { .. }),
                "{bad}"
            );
        }
        assert_eq!(
            score("blue", "[]"),
            Outcome::Missing {
                reason: "reference has no answers".into()
            }
        );
    }
}
