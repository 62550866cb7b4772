# Sourced by scripts/test.sh, scripts/e2e.sh and scripts/deb-smoke.sh: the UI and the desktop app,
# each built one way only, so the end-to-end test drives the very binary the .deb packs and nothing
# is compiled twice. Needs ROOT (the repository root) set by the caller. Each function returns
# non-zero when a step fails, also under `build_app ... || die` (where set -e is off inside).
#   ensure_ui_deps       ui/node_modules, with `npm ci` only when missing or older than the lockfile
#   build_ui             ui/dist (vite build); the app embeds it when it is compiled
#   build_app PROFILE    target/PROFILE/mobench-app (PROFILE: debug or release) with the UI embedded:
#                        the cargo command `tauri build` runs (mobench-app's default features include
#                        tauri/custom-protocol), here without `tauri build`'s second UI build
#   bundle_deb PROFILE   the .deb of that binary (`tauri bundle --bundles deb`, which builds nothing);
#                        prints its path
#   app_binary PROFILE   the binary's path
#   deb_dir PROFILE      where bundle_deb puts the .deb
# Paths follow cargo's target directory (CARGO_TARGET_DIR or target/).

# The CLI is installed ad hoc, never recorded in ui/package.json: npm's mirror lacks the other
# platforms' binaries, so a lockfile that names them breaks `npm ci`.
TAURI_CLI_VERSION=2.12.5

app_profile_ok() {
  case "$1" in
    debug | release) ;;
    *) echo "unknown profile '$1' (debug or release)" >&2; return 1 ;;
  esac
}

ensure_ui_deps() {
  if [ ! -d "$ROOT/ui/node_modules" ] || [ "$ROOT/ui/package-lock.json" -nt "$ROOT/ui/node_modules/.package-lock.json" ]; then
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund)
  fi
}

build_ui() {
  ensure_ui_deps || return 1
  (cd "$ROOT/ui" && npm run build)
}

target_dir() {
  (cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
}
app_binary() { echo "$(target_dir)/$1/mobench-app"; }
deb_dir() { echo "$(target_dir)/$1/bundle/deb"; }

build_app() {
  local profile=$1 flag=()
  app_profile_ok "$profile" || return 1
  [ "$profile" = release ] && flag=(--release)
  [ -f "$ROOT/ui/dist/index.html" ] || { echo "ui/dist is missing: build the UI first" >&2; return 1; }
  (cd "$ROOT" && cargo build "${flag[@]}" -p mobench-app --bin mobench-app)
}

ensure_tauri_cli() {
  ensure_ui_deps || return 1
  if [ "$(cd "$ROOT/ui" && npx --no-install tauri --version 2>/dev/null)" != "tauri-cli $TAURI_CLI_VERSION" ]; then
    (cd "$ROOT/ui" && npm i --no-save --no-audit --no-fund "@tauri-apps/cli@$TAURI_CLI_VERSION") || {
      echo "could not install @tauri-apps/cli@$TAURI_CLI_VERSION" >&2
      return 1
    }
  fi
}

# Bundles what build_app made; stdout is the .deb's path only (the CLI's output goes to stderr).
bundle_deb() {
  local profile=$1 flag=() dir
  app_profile_ok "$profile" || return 1
  [ "$profile" = debug ] && flag=(--debug)
  [ -x "$(app_binary "$profile")" ] || { echo "$(app_binary "$profile") is missing: build the app first" >&2; return 1; }
  ensure_tauri_cli >&2 || return 1
  dir=$(deb_dir "$profile")
  rm -f "$dir"/*.deb
  (cd "$ROOT/ui" && TAURI_APP_PATH=../src-tauri npx --no-install tauri bundle --bundles deb --ci "${flag[@]}") >&2 || {
    echo "tauri bundle --bundles deb failed (see above)" >&2
    return 1
  }
  ls -t "$dir"/*.deb 2>/dev/null | head -n 1
}
