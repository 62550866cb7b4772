//! Prints how long each metric takes on one summarization-sized sample
//! (a 4,000-character prediction against a 400-character reference).
//!
//! `cargo run --release -p mobench-metrics --example score_timing`

use std::hint::black_box;
use std::time::Instant;

use mobench_metrics::Metric;

const SENTENCES: &[&str] = &[
    "At least 70 people are reported to have died from Ebola hemorrhagic fever in Guinea.",
    "Officials say there are at least 111 suspected cases of the viral disease, which spreads in the blood.",
    "SELECT venue FROM table_name_50 WHERE away_team = \"essendon\" AND round > 3 LIMIT 1",
    "The answer is (B), because the moons' gravitational effects act at the ring edges.",
    "Doctors have set up isolation facilities in two regions; <answer>1,600</answer> beds.",
    "I'm sorry, but I can't help with that request as it is not appropriate.",
];

fn text_of_length(chars: usize, offset: usize) -> String {
    let mut text = String::new();
    let mut i = offset;
    while text.chars().count() < chars {
        text.push_str(SENTENCES[i % SENTENCES.len()]);
        text.push(' ');
        i += 1;
    }
    text.chars().take(chars).collect()
}

fn main() {
    let prediction = text_of_length(4000, 0);
    let reference = text_of_length(400, 3);
    let iterations = 200;
    println!("metric        µs/sample  (prediction 4000 chars, reference 400 chars)");
    for &metric in Metric::ALL {
        black_box(metric.score(&prediction, &reference));
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(metric.score(black_box(&prediction), black_box(&reference)));
        }
        let micros = start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
        println!("{:<13} {micros:>9.1}", metric.name());
    }
}
