#!/usr/bin/env python3
"""Regenerate vqa.json, the test vectors of mobench-metrics' `vqa_accuracy`.

The values come from the official VQA evaluation code, `vqaEval.py` of
github.com/GT-Vision-Lab/VQA (PythonEvaluationTools/vqaEvaluation), executed
from its own source. That file is Python 2 code; the only change made to run it
under Python 3 is turning its two `print "..."` statements into calls. It is
read from the path given on the command line and never copied into this
repository.

Each case is one question: `VQAEval.evaluate` runs on stand-ins for the `VQA`
annotation and result objects holding the case's human answers (with distinct
`answer_id`s, as in the real annotation files) and prediction. `setEvalQA` is
wrapped to record the question's accuracy before the official code rounds it
to two decimals of a percent.

Usage:

    python3 make_vqa_vectors.py --vqa PATH [--answers FILE]

PATH is vqaEval.py itself, or a work tree or bare git directory of
GT-Vision-Lab/VQA. FILE is MobileAIBench's VQA v2 answers (default:
../shared/datasets/mobileaibench/vqav2/answers.json next to the repository
root). Output: vqa.json beside this script. Cases are drawn with a fixed seed,
so reruns give the same file.
"""

import argparse
import contextlib
import hashlib
import io
import json
import pathlib
import random
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
VQA_EVAL = "PythonEvaluationTools/vqaEvaluation/vqaEval.py"
SEED = 20240610


def read_vqa_eval(path: pathlib.Path):
    """The source of vqaEval.py and where it came from."""
    if path.is_file():
        return path.read_text(encoding="utf-8"), str(path.name)
    if (path / VQA_EVAL).is_file():
        return (path / VQA_EVAL).read_text(encoding="utf-8"), VQA_EVAL
    git = ["git", "--git-dir", str(path)]
    commit = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    source = subprocess.run(git + ["show", f"HEAD:{VQA_EVAL}"], check=True, capture_output=True, text=True).stdout
    return source, f"GT-Vision-Lab/VQA@{commit}:{VQA_EVAL}"


def load_vqa_eval(source: str):
    """The official VQAEval class, its Python 2 print statements made calls."""
    patched, count = re.subn(r'^(\s*)print (".*")\s*$', r"\1print(\2)", source, flags=re.MULTILINE)
    assert count == 2, f"expected the two print statements of vqaEval.py, found {count}"
    namespace = {"__name__": "vqaEval"}
    exec(compile(patched, "vqaEval.py", "exec"), namespace)
    return namespace["VQAEval"]


class Annotations:
    """Stands in for the `VQA` objects: `qa` by question id and `getQuesIds`."""

    def __init__(self, qa):
        self.qa = qa

    def getQuesIds(self):
        return list(self.qa)


def evaluate(VQAEval, cases):
    """Runs the official evaluation on `(prediction, answers)` cases."""
    gts, res = {}, {}
    for qid, (prediction, answers) in enumerate(cases, start=1):
        gts[qid] = {
            "question_id": qid,
            "question_type": "none of the above",
            "answer_type": "other",
            "answers": [
                {"answer": a, "answer_confidence": "yes", "answer_id": i + 1} for i, a in enumerate(answers)
            ],
        }
        res[qid] = {"question_id": qid, "answer": prediction}

    class Recording(VQAEval):
        raw = {}

        def setEvalQA(self, quesId, acc):
            self.raw[quesId] = acc
            super().setEvalQA(quesId, acc)

    evaluator = Recording(Annotations(gts), Annotations(res))
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
    out = []
    for qid, (prediction, answers) in enumerate(cases, start=1):
        punctuation = evaluator.processPunctuation(prediction)
        case = {"prediction": prediction, "references": answers}
        # The official code mutates the annotations: these are the answers as compared
        # (left out where they are the references unchanged, to keep the file small).
        processed = [a["answer"] for a in gts[qid]["answers"]]
        if processed != answers:
            case["processed_references"] = processed
        case["punctuation"] = punctuation
        case["processed_prediction"] = evaluator.processDigitArticle(punctuation)
        case["accuracy"] = Recording.raw[qid]
        out.append(case)
    return evaluator, out


# ---------------------------------------------------------------- inputs

PURPLE_BLUE = ["blue", "blue", "purple", "purple", "blue", "purple", "purple", "purple", "purple", "blue"]


def mixed(answer, k, other="other"):
    """Ten answers, k of them `answer`."""
    return [answer] * k + [other] * (10 - k)


def edge_cases(evaluator):
    cases = []
    # Partial agreement: 0..10 humans gave the prediction, with and without processing.
    for k in range(11):
        cases.append(("blue", mixed("blue", k, "red")))
        cases.append(("Blue!", mixed("blue", k, "red")))
        cases.append(("2", mixed("two", k, "3")))
        cases.append(("a dog", mixed("the dog", k, "cat")))
    cases.append(("purple", PURPLE_BLUE))
    cases.append(("blue", PURPLE_BLUE))
    cases.append(("Purple.", PURPLE_BLUE))
    cases.append(("green", PURPLE_BLUE))
    # All ten answers identical: nothing is processed.
    for prediction in ["blue", "Blue", "BLUE", "blue.", " blue ", "\tblue\n", "the blue", "blue!", "", "blue blue"]:
        cases.append((prediction, ["blue"] * 10))
    for prediction in ["Blue", "blue", "the Blue"]:
        cases.append((prediction, ["Blue"] * 10))
    for prediction in ["two", "2", "Two", "2.", "two."]:
        cases.append((prediction, ["2"] * 10))
        cases.append((prediction, ["two"] * 10))
    for prediction in ["dog", "the dog", "The dog"]:
        cases.append((prediction, ["the dog"] * 10))
    for prediction in ["dont know", "don't know", "Don't know"]:
        cases.append((prediction, ["don't know"] * 10))
    # Identical only after newline/tab replacement and strip.
    cases.append(("blue", ["blue"] * 9 + [" blue\n"]))
    cases.append(("Blue", ["blue"] * 9 + ["\tblue"]))
    cases.append(("light blue", ["light blue"] * 9 + ["light\tblue"]))
    cases.append(("light blue", ["light blue"] * 9 + ["light\nblue"]))
    cases.append(("light  blue", ["light blue"] * 9 + ["light  blue"]))
    cases.append(("Light  Blue", ["light blue"] * 9 + ["light  blue"]))
    # Answer lists other than ten long (the code works for any; VQA has ten).
    cases.append(("yes", ["yes"]))
    cases.append(("Yes", ["yes"]))
    cases.append(("yes", ["yes", "no"]))
    cases.append(("yes", ["yes", "yes", "no"]))
    cases.append(("yes", ["yes", "yes", "yes", "no", "no"]))
    cases.append(("no", ["yes", "yes", "yes", "no", "no"]))
    cases.append(("yes", ["yes"] * 20 + ["no"]))
    # Every contraction key and number word, as the prediction.
    for word in list(evaluator.contractions) + list(evaluator.manualMap):
        value = evaluator.contractions.get(word, evaluator.manualMap.get(word))
        cases.append((word, [value] * 4 + [word] * 3 + ["other"] * 3))
        cases.append((word.capitalize() + "!", [word] * 5 + [value] * 5))
    for prediction in ["im", "Im", "I'm", "ive", "Ive", "id've", "Id've", "i'dve", "somebodyd", "hes drinking"]:
        cases.append((prediction, ["i'm", "I'm", "im", "ive", "i've", "he's drinking", "somebodyd"] + ["x"] * 3))
    return cases


PUNCTUATION_TEXTS = [
    "yes!",
    "yes.",
    "yes?",
    "yes ?",
    "no!!",
    "red,white",
    "red, white",
    "red ,white",
    "3,000",
    "3000",
    "1,000,000",
    "1,000 (approx)",
    "3, 000",
    "t-shirt",
    "t shirt",
    "tshirt",
    "t - shirt",
    "hot-dog stand",
    "hot-dog - stand",
    "(left)",
    "( left )",
    "[x]",
    '"quoted"',
    'he said "hi"',
    "{a}",
    "a=b",
    "a = b",
    "a+b",
    "c++",
    "back\\slash",
    "snake_case",
    "<tag>",
    "a < b",
    "@home",
    "`tick`",
    "gray/brown",
    "gray / brown",
    "50/50",
    "50 / 50",
    "e.g.",
    "mr. smith",
    "3.5",
    "3.",
    ".5",
    "3.5.",
    "1.2.3",
    "U.S.A.",
    "a.b",
    "a. b",
    "...",
    "..5",
    ". 5",
    "end.",
    "a<=5.",
    "x<=1",
    "what's up?",
    "it's",
    "o'clock",
    "yes, zebras are fighting",
    "white with blue, gray and green",
    "pepperoni, green peppers",
    "12:30",
    "$5",
    "50%",
    "#1",
    "a&b",
    "1st; 2nd",
    "1,2",
    "1 ,2",
    "a,1",
    "semi;colon",
    "semi ; colon",
    "!!!",
    "?",
    "-",
    "'",
    "",
    " ",
]

UNICODE_TEXTS = [
    "café",
    "CAFÉ",
    "ÉCOLE",
    "İstanbul",
    "ΣΑΣ",
    "ΟΔΟΣ ΣΑΣ",
    "straße",
    "٣,٤",
    "١٢٣.",
    "١.٥",
    "٣.x",
    "x²",
    "5².",
    "²,³",
    "2,³",
    "５,０００",
    "a\u00a0dog",
    "\u3000blue\u3000",
    "blue\u2028sky",
    "the\u001fcat",
    "two\u00a0dogs",
    "non\u200bbreaking",
    "emoji 🐶!",
    "ＴＨＥ dog",
    "naïve",
    "e\u0301",
]


def big_period_texts():
    return [
        "a." * 31,
        "a." * 32,
        "a." * 33,
        "a." * 40,
        "." * 40,
        "1." * 40,
        "1.2" * 20 + "." * 35,
        "word. " * 35 + "end",
    ]


def perturb(rng, text):
    op = rng.randrange(12)
    if op == 0:
        return text.upper()
    if op == 1:
        return text.capitalize()
    if op == 2:
        return text + rng.choice([".", "!", "?", " .", "..."])
    if op == 3:
        return rng.choice(["the ", "a ", "an ", "The "]) + text
    if op == 4:
        return rng.choice(["The answer is ", "Answer: ", "I think it's ", "It is "]) + text
    if op == 5:
        return " " + text + "\n"
    if op == 6:
        return text.replace(" ", "-")
    if op == 7:
        return text.replace(" ", "  ")
    if op == 8:
        for word, digit in [("one", "1"), ("two", "2"), ("three", "3"), ("four", "4"), ("five", "5"), ("none", "0")]:
            if text == digit:
                return word
            if text == word:
                return digit
        return text.replace("'", "")
    if op == 9:
        return f'"{text}"'
    if op == 10:
        return f"({text})"
    return text.replace("'", "")


def dataset_cases(rng, answers_file):
    questions = json.loads(answers_file.read_text(encoding="utf-8"))
    every_answer = sorted({a for q in questions.values() for a in q["answer"]})
    cases = []
    for _, question in sorted(questions.items()):
        answers = question["answer"]
        predictions = sorted(set(answers)) + [question["multiple_choice_answer"]]
        predictions += [perturb(rng, rng.choice(answers)) for _ in range(3)]
        predictions.append(rng.choice([rng.choice(every_answer), perturb(rng, rng.choice(every_answer))]))
        for prediction in predictions:
            cases.append((prediction, answers))
    return cases


def synthetic_cases(rng):
    texts = PUNCTUATION_TEXTS + UNICODE_TEXTS + big_period_texts()
    cases = []
    for text in texts:
        # The text as one answer among others, and the text as the prediction.
        k = rng.randrange(1, 6)
        cases.append((text, [text] * k + ["other"] * (10 - k)))
        cases.append((perturb(rng, text), [text] * 4 + [rng.choice(texts) for _ in range(6)]))
        cases.append((rng.choice(texts), [text] * 3 + [rng.choice(texts) for _ in range(7)]))
        cases.append((text, [text] * 10))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vqa", required=True, type=pathlib.Path, help="vqaEval.py, or a checkout of GT-Vision-Lab/VQA")
    parser.add_argument(
        "--answers",
        type=pathlib.Path,
        default=REPO_ROOT.parent / "shared/datasets/mobileaibench/vqav2/answers.json",
    )
    args = parser.parse_args()

    source, origin = read_vqa_eval(args.vqa)
    VQAEval = load_vqa_eval(source)
    rng = random.Random(SEED)
    probe = VQAEval(Annotations({}), Annotations({}))
    cases = edge_cases(probe) + synthetic_cases(rng) + dataset_cases(rng, args.answers)

    unique = {}
    for prediction, answers in cases:
        unique.setdefault(json.dumps([prediction, answers]), (prediction, answers))
    _, results = evaluate(VQAEval, list(unique.values()))

    generator = {
        "script": "crates/mobench-metrics/vectors/make_vqa_vectors.py",
        "python": sys.version.split()[0],
        "reference": origin,
        "reference_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
        "seed": SEED,
    }
    path = HERE / "vqa.json"
    payload = {"generator": generator, "cases": results}
    # One case per line keeps the file small and its diffs readable.
    lines = ",\n".join(json.dumps(case, ensure_ascii=False, separators=(",", ":")) for case in results)
    header = json.dumps(generator, ensure_ascii=False)
    path.write_text(f'{{"generator": {header},\n"cases": [\n{lines}\n]}}\n', encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == payload
    print(f"{path.name}: {len(results)} cases, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
