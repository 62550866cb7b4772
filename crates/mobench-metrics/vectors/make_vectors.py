#!/usr/bin/env python3
"""Regenerate the committed test vectors of mobench-metrics.

Scores come from MobileAIBench's own evaluation functions, loaded from a
checkout of github.com/SalesforceAIResearch/MobileAIBench (only the needed
function definitions are taken out of src/evaluation/{evaluate,utils}.py with
`ast`, because importing those modules needs an OpenAI key), running on the
reference libraries:

    pip install nltk rouge-score python-Levenshtein

Usage:

    python3 make_vectors.py --mobileaibench PATH [--datasets DIR]

PATH is a work tree or a bare git directory of MobileAIBench. DIR holds the
MobileAIBench CSV files (default: ../shared/datasets/mobileaibench next to the
repository root). Output: bleu.json, squad.json, rouge.json, porter.json,
levenshtein.json and sql.json beside this script. The pairs are drawn with a
fixed seed, so reruns with the same library versions give the same files.
"""

import argparse
import ast
import collections
import csv
import importlib.metadata
import json
import pathlib
import random
import re
import string
import subprocess
import sys

import Levenshtein
import nltk
from nltk.stem import porter
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from rouge_score import rouge_scorer, tokenize

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]

csv.field_size_limit(sys.maxsize)


def read_reference_source(root: pathlib.Path, relative: str) -> str:
    work_tree_file = root / relative
    if work_tree_file.is_file():
        return work_tree_file.read_text()
    return subprocess.run(
        ["git", "--git-dir", str(root), "show", f"HEAD:{relative}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def load_reference_functions(root: pathlib.Path):
    """MobileAIBench's scoring functions, executed from their own source."""
    utils = ast.parse(read_reference_source(root, "src/evaluation/utils.py"))
    evaluate = ast.parse(read_reference_source(root, "src/evaluation/evaluate.py"))

    wanted_functions = {"normalize_answer", "parse_sql_to_dict"}
    wanted_methods = {
        "compute_exact_match",
        "compute_f1",
        "compute_BLEU",
        "calculate_f1_score",
        "compute_sqlparser_score",
        "compare_sql_queries",
        "compute_levenshtein_score",
    }
    functions = [n for n in utils.body if isinstance(n, ast.FunctionDef) and n.name in wanted_functions]
    evaluator = next(n for n in evaluate.body if isinstance(n, ast.ClassDef) and n.name == "ModelEvaluator")
    methods = [n for n in evaluator.body if isinstance(n, ast.FunctionDef) and n.name in wanted_methods]
    assert len(functions) == len(wanted_functions) and len(methods) == len(wanted_methods)

    module = ast.Module(
        body=functions + [ast.ClassDef(name="Evaluator", bases=[], keywords=[], body=methods, decorator_list=[])],
        type_ignores=[],
    )
    namespace = {
        "re": re,
        "string": string,
        "collections": collections,
        "Levenshtein": Levenshtein,
        "sentence_bleu": sentence_bleu,
        "SmoothingFunction": SmoothingFunction,
    }
    exec(compile(ast.fix_missing_locations(module), "mobileaibench_evaluation", "exec"), namespace)
    return namespace["Evaluator"](), namespace


# ---------------------------------------------------------------- inputs

EDGE_STRINGS = [
    "",
    " ",
    "\n\t ",
    "a",
    "A",
    "the",
    "The",
    "an",
    "a an the",
    "The the THE",
    "!!!",
    "...",
    "?",
    "-",
    "'",
    "x",
    "xy",
    "abc",
    "abcd",
    "aaaa",
    "aaaaaaaa",
    "ab ab ab ab",
    "cat cat cat cat",
    "the cat",
    "12",
    "1,234",
    "3.14",
    "-5",
    "$100",
    "100%",
    "2024 2025",
    "don't",
    "it’s",
    "U.S.A.",
    "Hello, World!",
    "hello world",
    "é",
    "naïve café",
    "Crème brûlée",
    "日本語のテキスト",
    "東京",
    "Ελληνικά ΣΑΣ",
    "ΟΔΥΣΣΕΥΣ",
    "İstanbul",
    "straße STRASSE",
    "ǅemal",
    "\u212a kelvin",
    "ﬁne ﬂow",
    "emoji 😀👍 test",
    "😀",
    "a\u0301",
    "the\u0301 a\u0301 x",
    "théa",
    "the_cat a_b",
    "x\x1fy",
    "tab\tsep",
    "new\nline\n",
    "nbsp\xa0here",
    "ideo\u3000space",
    "zero\u200bwidth",
    "²³ ½",
    "Ⓐ circled",
    "an-apple",
    "the-end",
    "yyyy",
    "running runner runs ran",
    "generalizations relational happiness",
    "Sky skies dying lying news innings",
]

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Knox County Regional Airport",
    "It is estimated that between 223 and 273 inhabitants survived.",
    "A Montana politician charged with assaulting a reporter has apologised.",
]


def read_csv(datasets: pathlib.Path, name: str):
    with open(datasets / f"{name}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def perturb(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    op = rng.randrange(8)
    if op == 0 and len(words) > 1:
        del words[rng.randrange(len(words))]
    elif op == 1 and words:
        i = rng.randrange(len(words))
        words.insert(i, words[i])
    elif op == 2 and len(words) > 1:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif op == 3:
        return text.upper() if rng.random() < 0.5 else text.lower()
    elif op == 4:
        return text + rng.choice([".", "!", " .", ",", "?!", " the end", " a"])
    elif op == 5 and text:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice("xyzé,. ") + text[i + 1 :]
    elif op == 6:
        return text[: max(1, len(text) * 2 // 3)]
    else:
        return rng.choice(["The answer is ", "Answer: ", "I think it's ", ""]) + text
    return " ".join(words)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def edge_pairs(rng: random.Random):
    pairs = []
    for s in EDGE_STRINGS:
        pairs.append((s, s))
        pairs.append((s, ""))
        pairs.append(("", s))
        pairs.append((s, rng.choice(EDGE_STRINGS)))
        pairs.append((rng.choice(SENTENCES), s))
    return pairs


def qa_pairs(rng: random.Random, datasets: pathlib.Path):
    hotpot = [r["answer"] for r in read_csv(datasets, "hotpot_qa")]
    dolly = [clip(r["response"], 250) for r in read_csv(datasets, "databricks_dolly_15k") if r["category"] == "closed_qa"]
    pairs = []
    for answer in rng.sample(hotpot, 40):
        pairs.append((perturb(rng, answer), answer))
    for answer in rng.sample(hotpot, 15):
        pairs.append((answer, answer))
        pairs.append((rng.choice(hotpot), answer))
        pairs.append((f"The answer is {answer}, according to the passage.", answer))
    for response in rng.sample(dolly, 15):
        pairs.append((perturb(rng, response), response))
        pairs.append((rng.choice(hotpot), response))
    return pairs


def summary_pairs(rng: random.Random, datasets: pathlib.Path):
    cnn = read_csv(datasets, "cnn_dailymail")
    xsum = read_csv(datasets, "edinburghNLP_xsum")
    pairs = []
    for row in rng.sample(cnn, 15):
        pairs.append((clip(row["article"], 600), row["highlights"]))
    for row in rng.sample(xsum, 20):
        pairs.append((clip(row["document"], 400), row["summary"]))
        pairs.append((perturb(rng, row["summary"]), row["summary"]))
        pairs.append((rng.choice(xsum)["summary"], row["summary"]))
    for row in rng.sample(cnn, 1):
        pairs.append((clip(row["article"], 4000), row["highlights"]))
    return pairs


def sql_pairs(rng: random.Random, datasets: pathlib.Path):
    answers = [r["answer"] for r in read_csv(datasets, "sql_create_context")]
    structured = [a for a in answers if re.search(r"GROUP BY|ORDER BY|LIMIT| OR ", a)]
    variants = [
        lambda q: q,
        lambda q: q.lower(),
        lambda q: q + ";",
        lambda q: q + " ",
        lambda q: f"```sql\n{q}\n```",
        lambda q: q.replace(" WHERE ", "\nWHERE "),
        lambda q: q.replace(" AND ", " OR "),
        lambda q: q.replace(" WHERE ", "  where  "),
        lambda q: q + " LIMIT 5",
        lambda q: q + " ORDER BY 1 DESC",
        lambda q: q.replace("SELECT ", "SELECT DISTINCT "),
        lambda q: q.split(" WHERE ")[0],
        lambda q: "The query is: " + q,
        lambda q: q.replace('"', "'"),
    ]
    pairs = []
    for gold in rng.sample(answers, 45) + structured[:20]:
        pairs.append((rng.choice(variants)(gold), gold))
        pairs.append((rng.choice(answers), gold))
    for edge in [
        "",
        "SELECT",
        "SELECT a FROM t",
        "SELECT a FROM t\n",
        "select a from t where x = 1 and y = 2 or z = 3 limit 10",
        "SELECT a FROM t WHERE unlimited = 1",
        "SELECT a, , b FROM t WHERE  LIMIT 3",
        "SELECT a FROM t LIMIT 007",
        "SELECT a FROM t LIMIT ٣٤ ",
        "SELECT name FROM people WHERE city = 'İzmir' AND age > 30 ",
        "lımıt 5",
        "ſelect x from y where z = 1 ",
        "SELECT a\x1fFROM\x1ft\x1fWHERE b = 1",
        "SELECT *\nFROM t\nWHERE a = 1\nORDER BY b",
        "SELECT COUNT(*) FROM t GROUP BY a, b ORDER BY c, d LIMIT 1",
        "WHERE a = 1 AND b = 2 AND a = 1",
        "SELECT Σ FROM ΤΑΒΛΕ WHERE ΟΔΟΣ = 1",
    ]:
        pairs.append((edge, edge))
        pairs.append((edge, rng.choice(answers)))
        pairs.append((rng.choice(answers), edge))
    return pairs


def levenshtein_pairs(rng: random.Random, datasets: pathlib.Path):
    answers = [r["answer"] for r in read_csv(datasets, "sql_create_context")]
    pairs = [(a, b) for a, b in edge_pairs(rng)[::3]]
    for gold in rng.sample(answers, 60):
        pairs.append((perturb(rng, gold), gold))
        pairs.append((rng.choice(answers), gold))
    long_text = read_csv(datasets, "cnn_dailymail")[0]["article"][:1500]
    pairs.append((long_text, perturb(rng, long_text)))
    pairs.append(("😀" * 70 + "a", "a" + "😀" * 65))
    return pairs


def porter_words(datasets: pathlib.Path, rng: random.Random):
    text = " ".join(r["article"][:3000] for r in read_csv(datasets, "cnn_dailymail")[:150])
    vocabulary = sorted({t for t in tokenize.tokenize(text, None) if len(t) > 3})
    words = rng.sample(vocabulary, min(1200, len(vocabulary)))
    words += [
        "sky", "skies", "dying", "lying", "tying", "news", "innings", "inning", "outings",
        "cannings", "howe", "proceed", "exceed", "succeed", "dies", "died", "spied", "flies",
        "yyyy", "yyy", "ies", "ied", "eed", "feed", "agreed", "bled", "sing", "hopping",
        "tanned", "falling", "hissing", "fizzed", "failing", "filing", "happy", "enjoy",
        "radically", "fulli", "archaeology", "geology", "controlling", "rolling", "conflated",
        "troubled", "sized", "generalization", "relational", "conditional", "rational",
        "valenci", "hesitanci", "digitizer", "conformabli", "differentli", "vileli",
        "analogousli", "vietnamization", "predication", "operator", "feudalism", "decisiveness",
        "hopefulness", "callousness", "formaliti", "sensitiviti", "sensibiliti", "triplicate",
        "formative", "formalize", "electriciti", "electrical", "hopeful", "goodness", "revival",
        "allowance", "inference", "airliner", "gyroscopic", "adjustable", "defensible",
        "irritant", "replacement", "adjustment", "dependent", "adoption", "homologou",
        "communism", "activate", "angulariti", "homologous", "effective", "bowdlerize",
        "probate", "rate", "cease", "controll", "roll", "2024s", "1990s", "abcdefghijklmnopyyy",
        "ayyyyyyyyy", "yoyos", "eyeing", "toys", "spying", "played", "oed", "aing",
    ]
    stemmer = porter.PorterStemmer()
    return [[w, stemmer.stem(w)] for w in words]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mobileaibench", required=True, type=pathlib.Path)
    parser.add_argument("--datasets", type=pathlib.Path, default=REPO_ROOT.parent / "shared/datasets/mobileaibench")
    args = parser.parse_args()

    evaluator, functions = load_reference_functions(args.mobileaibench)
    rng = random.Random(20240610)
    generator = {
        "script": "crates/mobench-metrics/vectors/make_vectors.py",
        "python": sys.version.split()[0],
        "nltk": nltk.__version__,
        "rouge-score": importlib.metadata.version("rouge-score"),
        "python-Levenshtein": importlib.metadata.version("python-Levenshtein"),
        "rapidfuzz": importlib.metadata.version("rapidfuzz"),
        "seed": 20240610,
    }

    def write(name, cases):
        unique = {}
        for case in cases:
            unique.setdefault(json.dumps(case, sort_keys=True), case)
        cases = list(unique.values())
        path = HERE / f"{name}.json"
        payload = {"generator": generator, "cases": cases}
        # One case per line keeps the files small and their diffs readable.
        lines = ",\n".join(json.dumps(case, ensure_ascii=False, separators=(",", ":")) for case in cases)
        header = json.dumps(generator, ensure_ascii=False)
        path.write_text(f'{{"generator": {header},\n"cases": [\n{lines}\n]}}\n')
        assert json.loads(path.read_text()) == payload
        print(f"{path.name}: {len(cases)} cases, {path.stat().st_size} bytes")

    qa = edge_pairs(rng) + qa_pairs(rng, args.datasets)
    write(
        "squad",
        [
            {
                "prediction": p,
                "reference": r,
                "normalized_prediction": functions["normalize_answer"](p),
                "em": evaluator.compute_exact_match(p, r),
                "f1": evaluator.compute_f1(p, r)[0],
            }
            for p, r in qa
        ],
    )
    write(
        "bleu",
        [
            {
                "prediction": p,
                "reference": r,
                # MobileAIBench: compute_BLEU(pred, ans) -> sentence_bleu([norm(pred)], norm(ans)).
                "bleu": evaluator.compute_BLEU(p, r),
                # Conventional orientation on the raw strings.
                "sentence_bleu_ref_hyp": sentence_bleu([r], p, smoothing_function=SmoothingFunction().method1),
            }
            for p, r in qa
        ],
    )

    scorer = rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=True)
    rouge_cases = []
    for p, r in edge_pairs(rng)[::2] + summary_pairs(rng, args.datasets):
        scores = scorer.score(r, p)
        rouge_cases.append(
            {"prediction": p, "reference": r, "rouge1": scores["rouge1"].fmeasure, "rougeL": scores["rougeL"].fmeasure}
        )
    write("rouge", rouge_cases)
    write("porter", porter_words(args.datasets, rng))

    write(
        "levenshtein",
        [{"a": a, "b": b, "ratio": evaluator.compute_levenshtein_score(a, b)} for a, b in levenshtein_pairs(rng, args.datasets)],
    )

    sql_cases = []
    for p, r in sql_pairs(rng, args.datasets):
        sql_cases.append(
            {
                "prediction": p,
                "reference": r,
                "reference_pairs": [[k, str(v)] for k, v in functions["parse_sql_to_dict"](r)],
                "sql_f1": evaluator.compute_sqlparser_score(p, r),
            }
        )
    write("sql", sql_cases)


if __name__ == "__main__":
    main()
