#!/usr/bin/env bash
# Installs the system packages the build needs on Debian/Ubuntu, only those missing.
#   scripts/deps.sh        llama.cpp (through llama-cpp-sys-2): compilers, cmake, libclang
#   scripts/deps.sh app    also the app's: WebKitGTK to build it, and for the tests WebKitWebDriver,
#                          Xvfb (with x11-utils to find its windows), Chromium, and PostgreSQL's
#                          server, which the push/pull tests start (scripts/pg.sh)
# scripts/test.sh checks once and exports MOBENCH_DEPS_CHECKED (the mode it checked) for the
# scripts it runs, which then skip the check.
set -euo pipefail

if [ -n "${MOBENCH_DEPS_CHECKED:-}" ] && { [ "${1:-}" != app ] || [ "$MOBENCH_DEPS_CHECKED" = app ]; }; then
  exit 0
fi
pkgs=(build-essential cmake clang libclang-dev pkg-config git)
if [ "${1:-}" = "app" ]; then
  pkgs+=(libwebkit2gtk-4.1-dev webkit2gtk-driver xvfb x11-utils chromium python3 postgresql)
fi
need=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "installing system packages: ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install the Rust toolchain (rustup, Rust 1.95 or newer) first" >&2
  exit 1
fi
if [ "${1:-}" = "app" ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$node_major" -lt 20 ]; then
    echo "the app's UI needs Node.js 20 or newer with npm (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
  fi
fi
