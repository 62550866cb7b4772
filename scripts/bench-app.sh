#!/usr/bin/env bash
# Benchmarks of the desktop app (figures, not tests: never fails on speed). Prints a markdown table.
#  1. Cold start: median of 5 launches, time to the first screen (Models with its model list)
#     through tauri-driver, and the app's own figure (ui_ready: ms from process start to first paint).
#  2. The app's memory on top of the engine: the same starter-suite run (a) with the CLI, peak RSS,
#     and (b) in the app, peak RSS of the app process and of its whole tree (app + WebKit web and
#     network processes; RSS sum and PSS sum) polled while the run goes. Overhead = app tree - CLI.
#   scripts/bench-app.sh                 release build (cargo build --release ..., ~13 min cold)
#   scripts/bench-app.sh --debug         the debug builds instead (quicker to build; slower figures)
#   scripts/bench-app.sh --no-build      use the binaries already in target/ (release, or with --debug)
# Env: LIMIT (examples per dataset, default 10), LAUNCHES (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PROFILE=release
BUILD=1
for a in "$@"; do
  case "$a" in
    --debug) PROFILE=debug ;;
    --no-build) BUILD=0 ;;
    *) echo "usage: $0 [--debug] [--no-build]" >&2; exit 2 ;;
  esac
done
LIMIT=${LIMIT:-10}
LAUNCHES=${LAUNCHES:-5}

bash scripts/deps.sh app
source scripts/lib/app-session.sh
ensure_tauri_driver

FLAG=(); [ "$PROFILE" = release ] && FLAG=(--release)
if [ $BUILD -eq 1 ]; then
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    (cd ui && npm ci)
  fi
  (cd ui && npm run build)
  cargo build "${FLAG[@]}" -p mobench-app --bin mobench-app
  cargo build "${FLAG[@]}" -p mobench-cli --bin mobench
fi
APP="$ROOT/target/$PROFILE/mobench-app"
CLI="$ROOT/target/$PROFILE/mobench"
for b in "$APP" "$CLI"; do [ -x "$b" ] || { echo "$b is missing (run without --no-build)" >&2; exit 1; }; done

WORK=$(mktemp -d /tmp/mobench-bench.XXXXXX)
mkdir -p "$WORK/data" "$WORK/exports" "$WORK/cli"
cleanup() {
  stop_app_session
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# (a) The CLI alone: peak RSS of the same run (its built-in model is made on the first call, so
# that first call is not the one measured).
MOBENCH_DATA_DIR="$WORK/cli" "$CLI" run --suite starter --limit 1 --threads 1 --preset mobile \
  --datasets starter_qa --db "$WORK/cli/warm.sqlite" >/dev/null 2>&1 || true
CLI_JSON=$(MOBENCH_DATA_DIR="$WORK/cli" python3 - "$CLI" "$LIMIT" "$WORK/cli/run.sqlite" <<'EOF'
import json, resource, subprocess, sys, time
cli, limit, db = sys.argv[1:4]
t = time.monotonic()
p = subprocess.run([cli, "run", "--suite", "starter", "--limit", limit, "--threads", "1", "--preset", "mobile",
                    "--db", db], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": p.returncode, "peak_rss_mib": peak_kib / 1024, "seconds": time.monotonic() - t}))
EOF
)

start_app_session "$WORK"

python3 - "$APP" "$PORT" "$WORK" "$LIMIT" "$LAUNCHES" "$PROFILE" "$CLI_JSON" <<'EOF'
import json, os, re, socket, statistics, sys, threading, time
sys.path.insert(0, "tests/e2e")
from webdriver import Session, WebDriverError, wait_for

app, port, work, limit, launches, profile, cli_json = sys.argv[1:8]
launches = int(launches)
cli = json.loads(cli_json)
driver = f"http://127.0.0.1:{port}"
caps = {"tauri:options": {"application": app}}
FIRST = '[data-testid="models-screen"] [data-testid="model-row"]'

def listening():
    try:
        socket.create_connection(("127.0.0.1", int(port)), 1).close()
        return True
    except OSError:
        return False

wait_for("tauri-driver to listen", listening, timeout=15)

def ui_ready_values():
    with open(os.path.join(work, "driver.log"), encoding="utf-8", errors="replace") as f:
        text = re.sub(r"\x1b\[[0-9;]*m", "", f.read())
    return [float(v) for v in re.findall(r"first screen painted ms=([0-9.]+)", text)]

def launch():
    t0 = time.monotonic()
    s = Session(driver, caps)
    t1 = time.monotonic()
    s.set_implicit_wait(30)
    s.find(FIRST)  # the driver polls until the model list is there
    t2 = time.monotonic()
    return s, t2 - t0, t2 - t1

# 1. Start-up. The first launch creates the data folder, database and built-in model: not counted.
s, *_ = launch()
s.delete()
time.sleep(1)
n_before = len(ui_ready_values())
from_request, from_session = [], []
for _ in range(launches):
    s, a, b = launch()
    from_request.append(a * 1000)
    from_session.append(b * 1000)
    s.delete()
    time.sleep(1)
ui_ready = ui_ready_values()[n_before:]

# 2. Memory during the same run in the app.
def proc_tree(root):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out

def kib(pid, field, path="status"):
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def find_app():
    real = os.path.realpath(app)
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.readlink(f"/proc/{p}/exe") == real:
                    with open(f"/proc/{p}/environ", "rb") as f:
                        if f"MOBENCH_DATA_DIR={work}/data".encode() in f.read().split(b"\0"):
                            return int(p)
            except OSError:
                pass
    return None

s, *_ = launch()
app_pid = wait_for("the app's process", find_app, timeout=10)
peak = {"tree_rss": 0, "tree_pss": 0, "app_rss": 0, "idle_tree_rss": 0, "idle_app_rss": 0}
stop = threading.Event()

by_name = {}  # peak RSS per process name (KiB)

def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"

def sample():
    tree = proc_tree(app_pid)
    for p in tree:
        name = comm(p)
        by_name[name] = max(by_name.get(name, 0), kib(p, "VmRSS"))
    rss = sum(kib(p, "VmRSS") for p in tree)
    pss = sum(kib(p, "Pss", "smaps_rollup") for p in tree)
    return rss, pss, kib(app_pid, "VmRSS"), len(tree)

def poll():
    while not stop.is_set():
        rss, pss, own, _ = sample()
        peak["tree_rss"] = max(peak["tree_rss"], rss)
        peak["tree_pss"] = max(peak["tree_pss"], pss)
        peak["app_rss"] = max(peak["app_rss"], own)
        time.sleep(0.05)

idle = sample()
peak["idle_tree_rss"], peak["idle_app_rss"], n_procs = idle[0], idle[2], idle[3]
s.find('[data-testid="nav-new-run"]').click()
start = s.find('[data-testid="start-run"]')
s.find('[data-testid="examples-select"]').select_option("custom")
box = s.find('[data-testid="examples-custom"]')
box.clear()
box.send_keys(limit)
s.find('[data-testid="preset-mobile"]').click()
s.find('[data-testid="new-run-screen"] details summary').click()
thr = s.find('[data-testid="threads-input"]')
thr.clear()
thr.send_keys("1")
threads = thr.prop("value")
poller = threading.Thread(target=poll, daemon=True)
poller.start()
t = time.monotonic()
start.click()
wait_for("the run to finish", lambda: s.execute(
    "return !!document.querySelector('[data-testid=\"finished-runs\"]')"), timeout=1800, interval=0.2)
run_s = time.monotonic() - t
stop.set()
poller.join()
status = s.find('[data-testid="run-status"]').text
app_hwm = kib(app_pid, "VmHWM")
s.delete()

mib = lambda k: k / 1024
med = lambda xs: statistics.median(xs) if xs else float("nan")
cli_peak = cli["peak_rss_mib"]
over = mib(peak["tree_rss"]) - cli_peak
print(f"\n## MobileAIBench app benchmark ({profile} build, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
      f"{os.cpu_count()} CPUs)\n")
print("| figure | value | target |")
print("|---|---|---|")
print(f"| start-up: POST /session → first screen (median of {launches}) | {med(from_request):.0f} ms "
      f"(min {min(from_request):.0f}, max {max(from_request):.0f}) | < 1000 ms |")
print(f"| start-up: session created → first screen (median of {launches}) | {med(from_session):.0f} ms | |")
if ui_ready:
    print(f"| start-up: app's own ui_ready, process start → first paint (median of {len(ui_ready)}) | "
          f"{med(ui_ready):.0f} ms (min {min(ui_ready):.0f}, max {max(ui_ready):.0f}) | < 1000 ms |")
print(f"| run: starter suite, {limit} examples/dataset, preset mobile, threads 1 — CLI | {cli['seconds']:.1f} s | |")
print(f"| run: the same in the app (threads field: {threads}; status {status!r}) | {run_s:.1f} s | |")
print(f"| CLI peak RSS (`mobench run`) | {cli_peak:.1f} MiB | |")
print(f"| app process alone, peak RSS (VmHWM) during the run | {mib(app_hwm):.1f} MiB | |")
print(f"| app tree ({n_procs} processes: app + WebKit) RSS sum, peak during the run | {mib(peak['tree_rss']):.1f} MiB | |")
print(f"| app tree PSS sum (shared pages split), peak | {mib(peak['tree_pss']):.1f} MiB | |")
for name, k in sorted(by_name.items(), key=lambda x: -x[1]):
    print(f"| &nbsp;&nbsp;peak RSS of {name} | {mib(k):.1f} MiB | |")
print(f"| app tree RSS sum, idle on the first screen before the run | {mib(peak['idle_tree_rss']):.1f} MiB | |")
print(f"| **app overhead = app tree peak RSS − CLI peak RSS** | **{over:.1f} MiB** | < 150 MiB |")
print(f"| app overhead by PSS = app tree peak PSS − CLI peak RSS | {mib(peak['tree_pss']) - cli_peak:.1f} MiB | |")
extra = [k for k in ("WEBKIT_DISABLE_COMPOSITING_MODE", "WEBKIT_DISABLE_DMABUF_RENDERER") if os.environ.get(k)]
print("\nNotes: " + (f"with {', '.join(f'{k}={os.environ[k]}' for k in extra)}. " if extra else "") + "WebDriver automation is active in the measured app (a little extra work in the web process). "
      "RSS sums count shared libraries once per process; PSS splits them.")
if cli["rc"] != 0:
    print(f"WARNING: the CLI run exited with {cli['rc']}")
EOF
