#!/usr/bin/env python3
"""End-to-end test of the MobileAIBench desktop app, through its real window (tauri-driver).

Flow (the issue's): run the starter suite on the built-in model, watch it complete, open the run,
run it again, compare the two runs, export CSVs and check their rows; plus: cancel a run mid-way
(-> interrupted, resumable in History) and resume it to completion; and a multimodal run: the
generated tiny model with its vision projector, paired in Models, runs VQAv2 rows whose images show
on Live run and in the run's detail. The database in the data folder is checked with sqlite3
(read-only, but for the one row that stands in for the model's import). A screenshot is taken at
each step.

Started by scripts/e2e.sh, which provides Xvfb, tauri-driver (with MOBENCH_DATA_DIR and
MOBENCH_EXPORT_DIR in its environment, inherited by the app) and the app (debug, or release).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webdriver import Session, WebDriverError, wait_for  # noqa: E402

RUN_TIMEOUT_S = 600  # a suite run on the tiny model takes seconds; CI machines can be slow
EXAMPLES = 2  # per dataset, for the two compared runs (custom count)
# The run that is cancelled must last long enough to be stopped mid-way: every row of the starter
# datasets, one thread, and the accuracy preset, whose answers run to the tasks' own limits
# (512-1024 tokens: the tiny model's random weights rarely stop earlier).
CANCEL_EXAMPLES = "10"
CANCEL_PRESET = "accuracy"
CANCEL_THREADS = "1"
VISION_EXAMPLES = 2  # VQAv2 rows of the multimodal run


class Failure(Exception):
    pass


def check(cond: object, msg: str) -> None:
    if not cond:
        raise Failure(msg)


class E2E:
    def __init__(self, a: argparse.Namespace):
        self.a = a
        self.t0 = time.monotonic()
        self.timings: list[tuple[str, float]] = []
        self.shot_n = 0
        self.s: Session | None = None
        self.facts: dict[str, object] = {}
        os.makedirs(a.shots, exist_ok=True)

    # -- helpers ------------------------------------------------------------------------------
    def log(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.t0:7.2f}s] {msg}", flush=True)

    def step(self, name: str):
        e2e = self

        class _Step:
            def __enter__(self):
                self.t = time.monotonic()
                e2e.log(f"-- {name}")

            def __exit__(self, typ, val, tb):
                dt = time.monotonic() - self.t
                if typ is None:
                    e2e.timings.append((name, dt))
                    e2e.log(f"   ok ({dt:.2f} s)")
                return False

        return _Step()

    def shot(self, name: str) -> None:
        self.shot_n += 1
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        path = os.path.join(self.a.shots, f"{self.shot_n:02d}-{name}.png")
        size = self.s.screenshot(path)
        self.log(f"   screenshot {path} ({size // 1024} KiB)")

    def click(self, css: str, attempts: int = 3) -> None:
        """Finds and clicks; found again if the UI re-rendered it in between (live screens do)."""
        for i in range(attempts):
            try:
                self.s.find(css).click()
                return
            except WebDriverError as e:
                if e.error != "stale element reference" or i == attempts - 1:
                    raise

    def count(self, css: str) -> int:
        """How many elements match now (no implicit wait)."""
        return self.s.execute("return document.querySelectorAll(arguments[0]).length", css)

    def texts(self, css: str) -> list[str]:
        return self.s.execute(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim())", css)

    def goto(self, nav_testid: str, screen_testid: str) -> None:
        self.click(f'[data-testid="{nav_testid}"]')
        wait_for(f"the {screen_testid} screen", lambda: self.count(f'[data-testid="{screen_testid}"]') == 1)

    def choose(self, select_css: str, value: str) -> None:
        """Picks an <option> by clicking it, as a user would."""
        sel = self.s.find(select_css)
        sel.select_option(value)
        wait_for(f"{select_css} = {value}", lambda: sel.prop("value") == value, timeout=5)

    def errors_on_screen(self) -> list[str]:
        try:
            return self.texts('[data-testid="error-banner"], .error-box, [role="alert"]')
        except WebDriverError:
            return []

    # -- flows --------------------------------------------------------------------------------
    def open_session(self) -> None:
        with self.step("open the app (session) and wait for the first screen"):
            t = time.monotonic()
            self.s = Session(self.a.driver, {"tauri:options": {"application": self.a.binary}})
            self.log(f"   session created in {self.s.created_s:.2f} s "
                     f"({self.s.capabilities.get('browserName')} {self.s.capabilities.get('browserVersion')})")
            self.s.set_implicit_wait(10)
            check(self.app_pids() or not os.path.isdir("/proc"),
                  f"no {self.a.binary} process has MOBENCH_DATA_DIR={self.a.data}: is it set for tauri-driver?")
            first = wait_for("the first screen (Models)",
                             lambda: self.count('[data-testid="models-screen"] [data-testid="model-row"]') > 0,
                             timeout=30, interval=0.05)
            check(first, "no first screen")
            first_s = time.monotonic() - t
            self.facts["first_screen_s"] = first_s
            title = self.s.title
            # The page title names the screen: "Models · MobileAIBench".
            check(title == "MobileAIBench" or title.endswith("· MobileAIBench"),
                  f"window title is {title!r}, expected 'MobileAIBench' or '<screen> · MobileAIBench'")
            check(self.s.url.startswith("tauri://localhost"),
                  f"the window shows {self.s.url}, not the embedded UI (built without tauri/custom-protocol?)")
            self.log(f"   title {title!r}, first screen {first_s:.2f} s after the session request")
            builtin = [t for t in self.texts('[data-testid="model-row"]') if "built-in" in t]
            check(builtin, "the built-in model is not in the model list")
            self.facts["builtin_model"] = builtin[0].splitlines()[0]
            self.shot("first-screen-models")

    def type_advanced(self, css: str, text: str) -> None:
        """Types into a field of New run › Advanced, key by key as a person would; the section
        must stay open while the user types."""
        summary = '[data-testid="new-run-screen"] details summary'
        is_open = lambda: self.s.execute("return document.querySelector(arguments[0]).closest('details').open", css)
        if not is_open():
            self.click(summary)
        box = self.s.find(css)
        box.clear()
        for ch in text:
            box.send_keys(ch)
            check(is_open(), "New run › Advanced folded while a field in it was edited")
        check(box.prop("value") == text, f"{css} holds {box.prop('value')!r} after typing {text!r}")

    def new_run(self, examples: str, custom: int | None = None, preset: str | None = None,
                threads: str | None = None) -> None:
        self.goto("nav-new-run", "new-run-screen")
        start = self.s.testid("start-run")  # present once models and datasets are loaded
        # The built-in model is picked by default: exactly one model, the built-in one.
        rows = self.s.find_all('[data-testid="model-checkbox-row"]')
        picked = [r for r in rows if r.find('[data-testid="model-checkbox"]').selected]
        if not picked:
            rows[0].find('[data-testid="model-checkbox"]').click()
            picked = [rows[0]]
        check(len(picked) == 1, f"{len(picked)} models are picked, expected the built-in one only")
        check("tiny" in picked[0].text.lower() or self.facts["builtin_model"] in picked[0].text,
              f"the picked model is not the built-in one: {picked[0].text!r}")
        self.choose('[data-testid="suite-select"]', "starter")
        boxes = self.s.find_all('[data-testid="dataset-checkbox"]')
        for b in boxes:
            if not b.selected and b.enabled:
                b.click()
        n_ds = sum(1 for b in boxes if b.selected)
        check(n_ds == len(boxes) > 0, f"{n_ds} of {len(boxes)} starter datasets are selected")
        self.choose('[data-testid="examples-select"]', examples)
        if custom is not None:
            box = self.s.testid("examples-custom")
            box.clear()
            box.send_keys(str(custom))
            check(box.prop("value") == str(custom), f"examples-custom holds {box.prop('value')!r}")
        if preset is not None:
            self.click(f'[data-testid="preset-{preset}"]')
            check(self.s.testid(f"preset-{preset}").selected, f"preset {preset} is not selected")
        if threads is not None:
            self.type_advanced('[data-testid="threads-input"]', threads)
        self.facts["threads"] = self.s.testid("threads-input").prop("value")
        preset_now = "accuracy" if self.s.testid("preset-accuracy").selected else "mobile"
        hints = self.texts('[data-testid="start-hints"] li')
        check(not hints, f"the form refuses to start: {hints}")
        wait_for("the Start button to be enabled", lambda: start.enabled, timeout=5)
        self.log(f"   built-in model, suite starter, {n_ds} datasets, examples {custom or examples}, "
                 f"preset {preset_now}, threads {self.facts['threads']}")
        self.shot("new-run-form")
        self.record_progress()
        start.click()
        wait_for("the Live run screen", lambda: self.count('[data-testid="live-screen"]') == 1)

    def record_progress(self) -> None:
        """Has the page itself note every value run-progress takes from now on: a run on the tiny
        model can finish between two WebDriver polls, and the test must still see whether the
        Live screen advanced while it ran."""
        self.s.execute(
            "window.__progressSeen = [];"
            "if (window.__progressObserver) window.__progressObserver.disconnect();"
            "const note = () => { const e = document.querySelector('[data-testid=\"run-progress\"]');"
            "  if (!e) return; const v = Number(e.getAttribute('aria-valuenow'));"
            "  const s = window.__progressSeen; if (s[s.length - 1] !== v) s.push(v); };"
            "window.__progressObserver = new MutationObserver(note);"
            "window.__progressObserver.observe(document.body, {subtree: true, childList: true,"
            "  attributes: true, attributeFilter: ['aria-valuenow']});")

    def recorded_progress(self) -> list[int]:
        return self.s.execute("return window.__progressSeen || []") or []

    def progress(self) -> tuple[int, int]:
        p = self.s.execute(
            "const e = document.querySelector('[data-testid=\"run-progress\"]');"
            "return e ? [Number(e.getAttribute('aria-valuenow')), Number(e.getAttribute('aria-valuemax'))] : null")
        return (p[0], p[1]) if p else (-1, -1)

    def status(self) -> str:
        t = self.texts('[data-testid="run-status"]')
        return t[0] if t else ""

    def watch_run(self, label: str, until: str = "Completed", cancel_after: int | None = None) -> dict:
        """Watches run-progress and run-status on the Live screen until the queue has finished
        (status starts with `until`). With cancel_after, clicks Cancel once that many samples are done."""
        t = time.monotonic()
        seen: list[tuple[int, int]] = []
        cancelled_at = None
        last_print = 0.0
        while True:
            done, total = self.progress()
            if not seen or seen[-1] != (done, total):
                seen.append((done, total))
            status = self.status()
            finished = self.count('[data-testid="finished-runs"]') == 1 and not status.startswith(("Running", "Loading", "Starting", "Cancelling"))
            if finished:
                break
            if cancel_after is not None and cancelled_at is None and total > 0 and done >= cancel_after:
                check(done < total, f"the run finished ({done}/{total}) before it could be cancelled")
                self.click('[data-testid="cancel-run"]')
                cancelled_at = (done, total)
                self.log(f"   clicked Cancel at {done}/{total}")
                self.shot(f"{label}-cancelling")
            now = time.monotonic()
            if now - last_print > 5:
                self.log(f"   {label}: {done}/{total} · {status!r} · {now - t:.0f} s")
                last_print = now
            errs = self.errors_on_screen()
            check(not [e for e in errs if "Could not" in e or "failed" in e.lower()], f"error on screen: {errs}")
            check(now - t < RUN_TIMEOUT_S, f"{label}: not finished after {RUN_TIMEOUT_S} s ({done}/{total}, {status!r})")
            time.sleep(0.1)
        elapsed = time.monotonic() - t
        done, total = self.progress()
        status = self.status()
        links = self.texts('[data-testid="finished-run-link"]')
        run_ids = [int(m.group(1)) for l in links if (m := re.search(r"#(\d+)", l))]
        self.log(f"   {label}: status {status!r}, progress {done}/{total}, run {run_ids}, {elapsed:.1f} s; "
                 f"progress values seen: {[d for d, _ in seen]}")
        check(status.startswith(until), f"{label}: status is {status!r}, expected {until!r}")
        check(run_ids, f"{label}: no finished run link")
        return {"run_id": run_ids[-1], "done": done, "total": total, "seen": seen, "elapsed_s": elapsed,
                "cancelled_at": cancelled_at, "status": status}

    def history_rows(self) -> list[dict]:
        return self.s.execute(
            "return Array.from(document.querySelectorAll('[data-testid=\"run-row\"]')).map(r => ({"
            " id: Number(r.dataset.runId),"
            " status: (r.querySelector('[data-testid=\"status-badge\"]') || {}).textContent,"
            " resume: !!r.querySelector('[data-testid=\"resume-run\"]'), text: r.innerText}))")

    def goto_history(self, n_rows: int) -> list[dict]:
        self.goto("nav-history", "history-screen")
        self.s.testid("runs-list")
        return wait_for(f"{n_rows} run rows in History", lambda: (r := self.history_rows()) and len(r) == n_rows and r,
                        timeout=15)

    def wait_toast(self, needle: str) -> tuple[int, str]:
        """Waits for the "Wrote N rows to PATH" message of an export; returns (N, PATH)."""
        def find():
            for t in self.texts('[data-testid="toast"]'):
                m = re.search(r"Wrote (\d+) rows to (.+)$", t.replace("✕", "").strip())
                if m and needle in m.group(2):
                    return int(m.group(1)), m.group(2).strip()
            errs = self.errors_on_screen()
            check(not errs, f"export failed: {errs}")
            return None
        found = wait_for(f"the export message for {needle}", find, timeout=30)
        self.shot("exported-" + os.path.splitext(os.path.basename(found[1]))[0])
        self.close_toasts()
        return found

    def close_toasts(self) -> None:
        """Toasts sit over the bottom of the window (and the Start button) for 5 s: closed as a
        user would."""
        for b in self.s.find_all('[data-testid="toast"] button'):
            try:
                b.click()
            except WebDriverError:
                pass  # gone already

    def read_csv(self, path: str) -> tuple[list[str], list[dict]]:
        check(os.path.dirname(os.path.abspath(path)) == os.path.abspath(self.a.exports),
              f"{path} is not in the export folder {self.a.exports} (MOBENCH_EXPORT_DIR not used?)")
        check(os.path.isfile(path), f"{path} was not written")
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
            header = list(rows[0].keys()) if rows else []
        return header, rows

    # -- the test ------------------------------------------------------------------------------
    def run(self) -> None:
        self.open_session()

        with self.step("run 1: starter suite on the built-in model"):
            self.new_run("custom", custom=EXAMPLES)
            self.shot("run1-live")
            r1 = self.watch_run("run 1")
            check(r1["total"] > 0 and r1["done"] == r1["total"], f"run 1 progress ended at {r1['done']}/{r1['total']}")
            values = self.recorded_progress()
            self.log(f"   run-progress as the page showed it: {values}")
            check(len(set(values)) >= 2 and values == sorted(values),
                  f"run-progress did not advance live: {values} (polled: {[d for d, _ in r1['seen']]})")
            self.shot("run1-completed")
            self.facts["run1"] = r1

        with self.step("History has one run; open it"):
            rows = self.goto_history(1)
            check(rows[0]["id"] == r1["run_id"] and rows[0]["status"] == "completed", f"History row: {rows[0]}")
            self.shot("history-one-run")
            self.click('[data-testid=\"run-row\"]')
            detail = self.s.testid("run-detail")
            wait_for("the run detail", lambda: f"Run #{r1['run_id']}" in detail.text)
            eff = wait_for("per-dataset efficiency rows",
                           lambda: self.texts('[data-testid="efficiency-table"] tbody tr'))
            qual = self.texts('[data-testid="quality-table"] tbody tr')
            check(len(eff) > 0 and len(qual) > 0, f"no per-dataset figures (efficiency {eff}, quality {qual})")
            self.log(f"   run detail: {len(eff)} datasets in the efficiency table, {len(qual)} quality rows; "
                     f"first: {eff[0].split(chr(9))[:3]}")
            self.facts["run1_datasets"] = len(eff)
            self.shot("run1-detail")

        with self.step("export the run's CSVs from its detail"):
            self.click('[data-testid=\"export-csv\"]')
            n, path = self.wait_toast(f"mobench-run-{r1['run_id']}.csv")
            header, rows = self.read_csv(path)
            check(len(rows) == n and n > 0, f"{path}: {len(rows)} rows, the app said {n}")
            check("run_id" in header and "dataset" in header, f"{path}: header {header[:10]}")
            check({r["run_id"] for r in rows} == {str(r1["run_id"])}, f"{path}: run ids {[r['run_id'] for r in rows]}")
            check(len(rows) == self.facts["run1_datasets"], f"{path}: {len(rows)} rows, the detail shows {self.facts['run1_datasets']} datasets")
            check({r["status"] for r in rows} == {"completed"}, f"{path}: statuses {[r['status'] for r in rows]}")
            self.log(f"   {os.path.basename(path)}: {len(rows)} rows (one per dataset), {len(header)} columns")
            self.click('[data-testid=\"export-samples\"]')
            n, path = self.wait_toast(f"mobench-run-{r1['run_id']}-samples.csv")
            header, rows = self.read_csv(path)
            check(len(rows) == n == r1["total"], f"{path}: {len(rows)} rows, the app said {n}, the run had {r1['total']} samples")
            check({r["run_id"] for r in rows} == {str(r1["run_id"])}, f"{path}: other run ids")
            check("prediction" in header, f"{path}: header {header[:12]}")
            self.log(f"   {os.path.basename(path)}: {len(rows)} rows (one per sample)")
            self.facts["exports"] = [os.path.basename(path)]

        with self.step("run 2: the same run again"):
            self.new_run("custom", custom=EXAMPLES)
            r2 = self.watch_run("run 2")
            check(r2["done"] == r2["total"] == r1["total"], f"run 2: {r2['done']}/{r2['total']}, run 1 had {r1['total']}")
            check(r2["run_id"] != r1["run_id"], "run 2 has run 1's id")
            self.shot("run2-completed")
            self.facts["run2"] = r2

        with self.step("History has two runs; compare them"):
            rows = self.goto_history(2)
            check({r["id"] for r in rows} == {r1["run_id"], r2["run_id"]}, f"History rows: {rows}")
            check(all(r["status"] == "completed" for r in rows), f"History statuses: {[r['status'] for r in rows]}")
            for cb in self.s.find_all('[data-testid="run-select"]'):
                cb.click()
            self.shot("history-two-selected")
            self.click('[data-testid=\"compare-selected\"]')
            table = self.s.testid("compare-table")
            heads = wait_for("the comparison's run columns", lambda: [h for h in self.texts('[data-testid="compare-table"] thead th') if h])
            data_rows = self.s.execute(
                "return document.querySelectorAll('[data-testid=\"compare-table\"] tbody tr:not(.group)').length")
            run_cols = [h for h in heads if h.startswith("#")]
            check(len(run_cols) == 2, f"compare-table header {heads}: expected one column per run")
            check(any(f"#{r1['run_id']}" in h for h in run_cols) and any(f"#{r2['run_id']}" in h for h in run_cols),
                  f"compare-table columns {run_cols} do not name runs {r1['run_id']} and {r2['run_id']}")
            check(data_rows > 0, "compare-table has no rows")
            check(table.displayed, "compare-table is not displayed")
            self.log(f"   compare-table: columns {[h.splitlines()[0] for h in run_cols]}, {data_rows} figure rows")
            self.shot("compare")

        with self.step("export the comparison CSV"):
            self.click('[data-testid=\"export-csv\"]')
            ids = sorted([r1["run_id"], r2["run_id"]])
            n, path = self.wait_toast(f"mobench-compare-{ids[0]}-{ids[1]}.csv")
            header, rows = self.read_csv(path)
            check(len(rows) == n and n > 0, f"{path}: {len(rows)} rows, the app said {n}")
            for rid in ids:
                check(f"run_{rid}" in header and f"run_{rid}_delta" in header, f"{path}: no column for run {rid}: {header}")
            extra = [h for h in header if h.startswith("run_") and h not in {f"run_{i}" for i in ids} | {f"run_{i}_delta" for i in ids}]
            check(not extra, f"{path}: columns of other runs {extra}")
            check(len(rows) == data_rows, f"{path}: {len(rows)} rows, the compare table shows {data_rows}")
            base = ids[0]
            check(all(r[f"run_{base}_delta"] in ("0", "0.0", "") for r in rows), f"{path}: baseline deltas are not 0")
            self.log(f"   {os.path.basename(path)}: {len(rows)} rows, columns {header}")

        with self.step("the database has two completed runs with samples"):
            self.check_db(2, [r1["run_id"], r2["run_id"]], r1["total"])

        with self.step("run 3: cancel mid-way -> interrupted"):
            self.new_run(CANCEL_EXAMPLES, preset=CANCEL_PRESET, threads=CANCEL_THREADS)
            r3 = self.watch_run("run 3", until="Interrupted", cancel_after=1)
            check(r3["cancelled_at"], "the run was not cancelled")
            check(0 < r3["done"] < r3["total"], f"run 3 stopped at {r3['done']}/{r3['total']}")
            # Cancelled after the first sample, so a fast machine may show only one value; it
            # must never go backwards (run 1 checks that it advances live).
            values = [d for d, _ in r3["seen"]]
            check(values == sorted(values), f"run-progress went backwards: {values}")
            self.shot("run3-interrupted")
            rows = self.goto_history(3)
            row = next(r for r in rows if r["id"] == r3["run_id"])
            check(row["status"] == "interrupted" and row["resume"], f"History row of run 3: {row}")
            self.shot("history-interrupted")

        with self.step("resume run 3 to completion"):
            self.click(f'[data-testid="run-row"][data-run-id="{r3["run_id"]}"] [data-testid="resume-run"]')
            wait_for("the Live run screen", lambda: self.count('[data-testid="live-screen"]') == 1)
            r3b = self.watch_run("run 3 resumed")
            check(r3b["run_id"] == r3["run_id"], f"resume made run {r3b['run_id']}, not {r3['run_id']}")
            check(r3b["done"] == r3b["total"] == r3["total"], f"resumed run ended at {r3b['done']}/{r3b['total']}")
            first_seen = [d for d, _ in r3b["seen"] if d > 0]
            check(not first_seen or first_seen[0] >= r3["done"],
                  f"resume started again from {first_seen[0]} instead of {r3['done']}")
            self.shot("run3-resumed-completed")
            rows = self.goto_history(3)
            row = next(r for r in rows if r["id"] == r3["run_id"])
            check(row["status"] == "completed" and not row["resume"], f"History row of resumed run 3: {row}")
            self.shot("history-final")
            self.facts["run3"] = {"cancelled_at": r3["cancelled_at"], "total": r3["total"],
                                  "resume_s": r3b["elapsed_s"]}
            self.check_db(3, [r1["run_id"], r2["run_id"], r3["run_id"]], None)

        if self.a.vision_model:
            self.vision_run([r1["run_id"], r2["run_id"], r3["run_id"]])

        self.other_device([r1["run_id"], r2["run_id"], r3["run_id"]])
        self.hub_run()
        self.study()

        with self.step("close the app (delete the session)"):
            s, self.s = self.s, None
            self.facts["retries"] = s.retries
            s.delete()
            wait_for("the app to exit", lambda: not self.app_pids(), timeout=15)

    # -- runs from another device -------------------------------------------------------------
    def other_device(self, local_runs: list[int]) -> None:
        """A run made by the mobench CLI in a database of its own (another install, so another
        device), bundled, and opened with the app as a file manager's "Open with" does (the
        bundle as the app's argument): imported at start, in History with its device, compared
        with a run made here, and beside this device in Devices."""
        with self.step("runs from another device: a bundle opened with the app, compared across devices"):
            cli = self.a.mobench or os.path.join(os.path.dirname(self.a.binary), "mobench")
            check(os.access(cli, os.X_OK), f"{cli} is missing: build the CLI (cargo build -p mobench-cli) or pass --mobench")
            other = os.path.join(os.path.dirname(self.a.exports.rstrip("/")), "other-device")
            os.makedirs(other, exist_ok=True)
            env = {**os.environ, "MOBENCH_DATA_DIR": os.path.join(other, "data"), "MOBENCH_DB": os.path.join(other, "db.sqlite")}
            made = subprocess.run([cli, "run", "--datasets", "starter_mmlu", "--max-tokens", "1", "--threads", "1", "--json"],
                                  env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
            check(made.returncode == 0, f"the other device's run failed: {made.stderr.strip()[-400:]}")
            bundle = os.path.join(other, "phone.mobench")
            out = subprocess.run([cli, "export", str(json.loads(made.stdout)["run_id"]), "--bundle", bundle],
                                 env=env, capture_output=True, text=True, timeout=60)
            check(out.returncode == 0, f"export --bundle failed: {out.stderr.strip()}")
            s, self.s = self.s, None
            s.delete()
            wait_for("the app to exit", lambda: not self.app_pids(), timeout=15)
            self.s = Session(self.a.driver, {"tauri:options": {"application": self.a.binary, "args": [bundle]}})
            self.s.set_implicit_wait(10)
            wait_for("the import message", lambda: any("Imported 1 run" in t for t in self.texts('[data-testid="toast"]')),
                     timeout=30)
            self.close_toasts()
            rows = self.goto_history(len(local_runs) + (1 if self.a.vision_model else 0) + 1)
            devices = self.texts('[data-testid="run-device"]')
            check(len(set(devices)) == 2, f"History should show two devices, shows {sorted(set(devices))}")
            new = max(r["id"] for r in rows)
            for rid in (local_runs[0], new):
                self.click(f'[data-testid="run-row"][data-run-id="{rid}"] [data-testid="run-select"]')
            self.click('[data-testid="compare-selected"]')
            heads = wait_for("the compare columns' devices", lambda: (h := self.texts('[data-testid="compare-device"]')) and len(h) == 2 and h)
            check(heads[0] != heads[1], f"both compared columns name the same device: {heads}")
            self.shot("compare-two-devices")
            self.goto("nav-devices", "devices-screen")
            wait_for("two devices side by side", lambda: self.count('[data-testid="device-row"]') >= 2 or None)
            n = self.count('[data-testid="device-row"]')
            self.log(f"   imported run {new}; compare columns {heads}; {n} device rows in Devices")
            self.shot("devices")
    # -- a model from the hub ------------------------------------------------------------------
    def hub_run(self) -> None:
        """Get models: SmolLM2-135M-Instruct Q4_1 from the catalog, downloaded from the stand-in
        hub scripts/e2e.sh serves on 127.0.0.1 (HF_ENDPOINT), checked, listed in Models, and run."""
        check(os.environ.get("HF_ENDPOINT"), "HF_ENDPOINT is not set: scripts/e2e.sh serves the stand-in hub")
        spec, file = "smollm2-135m-instruct:Q4_1", "SmolLM2-135M-Instruct.Q4_1.gguf"
        with self.step("Get models: SmolLM2 from the catalog, through the local hub"):
            self.goto("nav-models", "models-screen")
            button = wait_for("the catalog", lambda: self.s.find_all(f'[data-testid="catalog-download"][data-spec="{spec}"]'))
            button[0].click()
            wait_for("the download to finish",
                     lambda: self.count('[data-testid="download-row"][data-status="done"]') == 1
                     or check(self.count('[data-testid="download-row"][data-status="failed"]') == 0,
                              f"the download failed: {self.texts('[data-testid=download-row]')}"),
                     timeout=180)
            wait_for("SmolLM2 in Models", lambda: [r for r in self.texts('[data-testid="model-row"]') if file in r])
            self.log(f"   {file} downloaded and listed")
            self.shot("models-downloaded")
            self.close_toasts()
        with self.step("a starter run on the downloaded model"):
            self.goto("nav-new-run", "new-run-screen")
            start = self.s.testid("start-run")
            picked = 0
            for r in self.s.find_all('[data-testid="model-checkbox-row"]'):
                box = r.find('[data-testid="model-checkbox"]')
                mine = (r.attr("data-model") or "").endswith("/" + file)
                picked += bool(mine)
                if box.selected != bool(mine):
                    box.click()
            check(picked == 1, f"{picked} rows of New run are the downloaded model")
            self.choose('[data-testid="suite-select"]', "starter")
            for b in self.s.find_all('[data-testid="dataset-checkbox"]'):
                if b.selected != (b.attr("data-dataset") == "starter_mmlu"):
                    b.click()
            self.choose('[data-testid="examples-select"]', "custom")
            box = self.s.testid("examples-custom")
            box.clear()
            box.send_keys("2")
            self.click('[data-testid="preset-mobile"]')
            wait_for("the Start button to be enabled", lambda: start.enabled, timeout=5)
            start.click()
            wait_for("the Live run screen", lambda: self.count('[data-testid="live-screen"]') == 1)
            r5 = self.watch_run("run 5")
            check(r5["done"] == r5["total"] == 2, f"run 5: {r5['done']}/{r5['total']}")
            self.facts["hub_run"] = r5["run_id"]
            self.shot("run5-downloaded-model")
    # -- the quantization study ---------------------------------------------------------------
    def study(self) -> None:
        with self.step("quantization study: the built-in model at Q4_0, started from Models; its table"):
            self.goto("nav-models", "models-screen")
            builtin = [r for r in self.s.find_all('[data-testid="model-row"]') if "built-in" in r.text]
            check(len(builtin) == 1, f"{len(builtin)} built-in model rows")
            builtin[0].find('[data-testid="study-model"]').click()
            wait_for("the study panel with its levels", lambda: self.count('[data-testid="study-type-Q4_0"]') == 1)
            for t in ("Q8_0", "Q4_K_M"):  # checked by default; one level keeps the test short
                self.click(f'[data-testid="study-type-{t}"]')
            limit = self.s.find('[data-testid="study-limit"]')
            limit.clear()
            limit.send_keys("1")
            self.click('[data-testid="study-speed"]')
            self.shot("study-panel")
            t = time.monotonic()
            self.click('[data-testid="study-start"]')
            wait_for("the Study screen", lambda: self.count('[data-testid="study-screen"]') == 1)
            wait_for("the study to complete", lambda: self.texts('[data-testid="study-status"]') == ["completed"],
                     timeout=600)
            rows = self.texts('[data-testid="study-row"]')
            check(len(rows) == 2 and rows[0].startswith("base") and rows[1].startswith("Q4_0"),
                  f"the study's table rows: {rows}")
            ppl = self.texts('[data-testid="study-ppl"]')
            check(len(ppl) == 2 and all(float(p) > 1 for p in ppl), f"each level's perplexity: {ppl}")
            rec = self.texts('[data-testid="study-recommendation"]')
            check(rec and len(rec[0]) > 20, f"the recommendation: {rec}")
            check(self.count('[data-testid="study-chart"] canvas') == 1, "the quality/size chart")
            self.log(f"   study of 2 levels in {time.monotonic() - t:.1f} s; Q4_0 row: {rows[1]!r}")
            self.facts["study_s"] = round(time.monotonic() - t, 1)
            self.shot("study-table")

    # -- the multimodal run ------------------------------------------------------------------
    def image_loaded(self, css: str) -> list[dict]:
        """The images matching `css` that have loaded, with their source's start and size."""
        return self.s.execute(
            "return Array.from(document.querySelectorAll(arguments[0]))"
            ".filter(i => i.complete && i.naturalWidth > 0)"
            ".map(i => ({src: i.getAttribute('src').slice(0, 30), w: i.naturalWidth, h: i.naturalHeight}))", css)

    def model_row(self, needle: str):
        rows = [r for r in self.s.find_all('[data-testid="model-row"]') if needle in r.text]
        check(len(rows) == 1, f"{len(rows)} model rows name {needle}")
        return rows[0]

    def register_model(self, path: str) -> None:
        """Adds the generated model to the library as a referenced model: what Import does after
        its checks (covered by the command tests), since the native file dialog is out of
        WebDriver's reach."""
        db = os.path.join(self.a.data, "mobench.sqlite")
        con = sqlite3.connect(db, timeout=10)
        try:
            con.execute("INSERT INTO library_models (path, source, added_at) VALUES (?, 'referenced', ?)",
                        (os.path.realpath(path), time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())))
            con.commit()
        finally:
            con.close()

    def vision_run(self, earlier_runs: list[int]) -> None:
        model = os.path.realpath(self.a.vision_model)
        model_file = os.path.basename(model)
        with self.step("Models: the tiny vision model, paired with the projector beside it"):
            self.register_model(model)
            self.goto("nav-models", "models-screen")
            row = wait_for("the vision model in Models", lambda: [r for r in self.texts('[data-testid="model-row"]') if model_file in r])
            offer = self.texts('[data-testid="model-row"] [data-testid="projector-offer"]')
            check(offer and "mmproj" in offer[0], f"no projector offered beside {model_file}: {row}")
            self.shot("models-projector-offered")
            self.model_row(model_file).find('[data-testid="accept-projector"]').click()
            paired = wait_for("the projector paired", lambda: self.texts('[data-testid="model-row"] [data-testid="model-projector"]'))
            check("mmproj" in paired[0] and "mlp" in paired[0], f"the paired projector shows {paired}")
            # Removed, it is offered again; paired again for the run.
            self.model_row(model_file).find('[data-testid="remove-projector"]').click()
            wait_for("the pairing removed", lambda: not self.texts('[data-testid="model-projector"]')
                     and self.texts('[data-testid="projector-offer"]'))
            self.model_row(model_file).find('[data-testid="accept-projector"]').click()
            paired = wait_for("the projector paired again", lambda: self.texts('[data-testid="model-projector"]'))
            names = [t.splitlines()[0] for t in self.texts('[data-testid="model-row"]')]
            check(not [n for n in names if n.startswith("mmproj")], f"a projector is listed as a model: {names}")
            self.log(f"   {model_file}: {paired[0]!r}")
            self.shot("models-projector-paired")
            self.close_toasts()

        with self.step(f"run 4: {VISION_EXAMPLES} VQAv2 rows on the vision model"):
            self.goto("nav-new-run", "new-run-screen")
            start = self.s.testid("start-run")
            for r in self.s.find_all('[data-testid="model-checkbox-row"]'):
                box = r.find('[data-testid="model-checkbox"]')
                mine = r.attr("data-model") == model
                if box.selected != mine:
                    box.click()
            self.choose('[data-testid="suite-select"]', "mobileaibench")
            vqa = self.s.find('[data-testid="dataset-checkbox"][data-dataset="vqav2"]')
            check(vqa.enabled, "vqav2 is not offered for a model with a projector")
            for b in self.s.find_all('[data-testid="dataset-checkbox"]'):
                if b.selected != (b.attr("data-dataset") == "vqav2"):
                    b.click()
            self.choose('[data-testid="examples-select"]', "custom")
            box = self.s.testid("examples-custom")
            box.clear()
            box.send_keys(str(VISION_EXAMPLES))
            hints = self.texts('[data-testid="start-hints"] li')
            check(not hints, f"the form refuses to start: {hints}")
            wait_for("the Start button to be enabled", lambda: start.enabled, timeout=5)
            self.shot("new-run-vision")
            start.click()
            wait_for("the Live run screen", lambda: self.count('[data-testid="live-screen"]') == 1)
            r4 = self.watch_run("run 4")
            check(r4["done"] == r4["total"] == VISION_EXAMPLES, f"run 4: {r4['done']}/{r4['total']}")
            # The last sample's image stays with its question and answer.
            shown = wait_for("the sample's image on Live run", lambda: self.image_loaded('[data-testid="live-image-img"]'))
            check(shown[0]["src"].startswith("data:image/jpeg;base64,"), f"the live image is {shown}")
            self.log(f"   live image {shown[0]['w']}x{shown[0]['h']}, prompt {self.texts('[data-testid=live-prompt]')[0][:60]!r}")
            self.shot("run4-live-image")
            self.facts["run4"] = r4

        with self.step("run 4's detail: projector, its load time, image figures and thumbnails"):
            self.click('[data-testid="finished-run-link"]')
            detail = self.s.testid("run-detail")
            wait_for("the run detail", lambda: f"Run #{r4['run_id']}" in detail.text)
            projector = wait_for("the run's projector", lambda: self.texts('[data-testid="run-projector"]'))
            check("mmproj" in projector[0], f"run-projector: {projector}")
            load = self.texts('[data-testid="projector-load"]')
            check(load and load[0].endswith(" ms"), f"projector load time: {load}")
            heads = self.texts('[data-testid="efficiency-table"] thead th')
            check("Image encode" in heads and "Image tokens" in heads, f"efficiency columns: {heads}")
            thumbs = wait_for(f"{VISION_EXAMPLES} sample thumbnails",
                              lambda: (t := self.image_loaded('[data-testid="sample-thumb-img"]')) and len(t) == VISION_EXAMPLES and t)
            self.log(f"   projector {projector[0]!r}, load {load[0]}, {len(thumbs)} thumbnails")
            self.shot("run4-detail")

        with self.step("run 4 in History, its samples CSV, and the database"):
            self.click('[data-testid="export-samples"]')
            n, path = self.wait_toast(f"mobench-run-{r4['run_id']}-samples.csv")
            header, rows = self.read_csv(path)
            check(len(rows) == n == VISION_EXAMPLES and {r["dataset"] for r in rows} == {"vqav2"},
                  f"{path}: {len(rows)} rows of {[r['dataset'] for r in rows]}, the app said {n}")
            check("vqa_accuracy" in header and "image_path" in header, f"{path}: header {header}")
            check(all(r["image_path"].endswith(".jpg") and r["image_tokens"] for r in rows),
                  f"{path}: image columns {[(r['image_path'], r['image_tokens']) for r in rows]}")
            rows = self.goto_history(len(earlier_runs) + 1)
            row = next(r for r in rows if r["id"] == r4["run_id"])
            check(row["status"] == "completed", f"History row of run 4: {row}")
            self.check_db(len(earlier_runs) + 1, earlier_runs + [r4["run_id"]], None)
            db = os.path.join(self.a.data, "mobench.sqlite")
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                images = con.execute("SELECT image_path, image_tokens FROM samples WHERE run_id = ?", (r4["run_id"],)).fetchall()
                projector = con.execute("SELECT projector_json FROM runs WHERE id = ?", (r4["run_id"],)).fetchone()[0]
            finally:
                con.close()
            check(len(images) == VISION_EXAMPLES and all(p and p.endswith(".jpg") and t for p, t in images),
                  f"run 4's samples store no images: {images}")
            check(projector and "mmproj" in projector, f"run 4 stores no projector: {projector}")
            self.shot("history-vision")

    def app_pids(self) -> list[int]:
        """Processes of the app under test (this binary with this data folder)."""
        if not os.path.isdir("/proc"):
            return []
        real, mine = os.path.realpath(self.a.binary), f"MOBENCH_DATA_DIR={self.a.data}".encode()
        found = []
        for p in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.readlink(f"/proc/{p}/exe") == real:
                    with open(f"/proc/{p}/environ", "rb") as f:
                        if mine in f.read().split(b"\0"):
                            found.append(int(p))
            except OSError:
                pass
        return found

    def check_db(self, n_completed: int, run_ids: list[int], samples_each: int | None) -> None:
        db = os.path.join(self.a.data, "mobench.sqlite")
        check(os.path.isfile(db), f"no database at {db} (MOBENCH_DATA_DIR not passed to the app?)")
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            runs = con.execute("SELECT id, status FROM runs ORDER BY id").fetchall()
            completed = [i for i, st in runs if st == "completed"]
            check(sorted(completed) == sorted(run_ids) and len(completed) == n_completed,
                  f"database runs {runs}: expected {n_completed} completed runs {run_ids}")
            for rid in run_ids:
                n = con.execute("SELECT count(*) FROM samples WHERE run_id = ?", (rid,)).fetchone()[0]
                check(n > 0, f"run {rid} has no samples in the database")
                if samples_each is not None:
                    check(n == samples_each, f"run {rid} has {n} samples in the database, the UI showed {samples_each}")
            counts = dict(con.execute("SELECT run_id, count(*) FROM samples GROUP BY run_id").fetchall())
            self.log(f"   {db}: runs {runs}, samples per run {counts}")
        finally:
            con.close()

    def startup_from_log(self) -> float | None:
        """The app's own start-up figure (ui_ready: ms from process start to first paint), from its log."""
        if not self.a.app_log or not os.path.isfile(self.a.app_log):
            return None
        with open(self.a.app_log, encoding="utf-8", errors="replace") as f:
            text = re.sub(r"\x1b\[[0-9;]*m", "", f.read())  # the log is coloured
        vals = [float(v) for v in re.findall(r"first screen painted\s+ms=([0-9.]+)", text)]
        return vals[0] if vals else None

    def summary(self, ok: bool) -> None:
        print("\n== summary", flush=True)
        for name, dt in self.timings:
            print(f"  {dt:7.2f} s  {name}")
        print(f"  {time.monotonic() - self.t0:7.2f} s  total")
        if "first_screen_s" in self.facts:
            build = "release" if f"{os.sep}release{os.sep}" in self.a.binary else "debug"
            print(f"  first screen: {self.facts['first_screen_s']:.2f} s after the session request ({build} build)")
        ui_ready = self.startup_from_log()
        if ui_ready is not None:
            print(f"  app's ui_ready: first screen painted {ui_ready:.0f} ms after the process started")
        for k in ("run1", "run2", "run4"):
            r = self.facts.get(k)
            if r:
                print(f"  {k}: run #{r['run_id']}, {r['total']} samples in {r['elapsed_s']:.1f} s")
        if "run3" in self.facts:
            r = self.facts["run3"]
            print(f"  run3: cancelled at {r['cancelled_at'][0]}/{r['total']}, resumed to completion in {r['resume_s']:.1f} s")
        retries = self.facts.get("retries", self.s.retries if self.s else None)
        if retries:
            print(f"  WebDriver requests sent again after tauri-driver dropped the connection: {retries}")
        print(f"  screenshots: {self.shot_n} in {self.a.shots}")
        print("PASSED" if ok else "FAILED", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True, help="the app binary (built with tauri/custom-protocol)")
    p.add_argument("--driver", default="http://127.0.0.1:4444", help="tauri-driver's URL")
    p.add_argument("--data", required=True, help="the app's MOBENCH_DATA_DIR (as set for tauri-driver)")
    p.add_argument("--exports", required=True, help="the app's MOBENCH_EXPORT_DIR (as set for tauri-driver)")
    p.add_argument("--shots", default="target/e2e-screenshots", help="where screenshots go")
    p.add_argument("--app-log", help="tauri-driver's output (holds the app's log) for the start-up figure")
    p.add_argument("--mobench", help="the mobench CLI that makes another device's runs (default: beside --binary)")
    p.add_argument("--vision-model", help="a model with its vision projector (mmproj*.gguf) beside it, and VQAv2 "
                   "in the data folder's datasets: runs the multimodal flow")
    a = p.parse_args()
    a.binary = os.path.abspath(a.binary)
    e = E2E(a)
    ok = False
    try:
        e.run()
        ok = True
    except (Failure, TimeoutError, WebDriverError, AssertionError) as exc:
        print(f"\nFAILURE: {exc}", file=sys.stderr, flush=True)
        if not isinstance(exc, Failure):
            traceback.print_exc()
        if e.s is not None:
            try:
                errs = e.errors_on_screen()
                if errs:
                    print(f"errors shown by the app: {errs}", file=sys.stderr)
                print(f"route: {e.s.url}", file=sys.stderr)
                e.shot("FAILURE")
            except Exception as inner:  # the window may be gone
                print(f"(no failure screenshot: {inner})", file=sys.stderr)
    finally:
        if e.s is not None:
            e.facts["retries"] = e.s.retries
            try:
                e.s.delete()
            except Exception:
                pass
        e.summary(ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
