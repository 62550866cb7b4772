#!/usr/bin/env bash
# Installs the system packages that building llama.cpp (through llama-cpp-sys-2) needs on
# Debian/Ubuntu, only those missing. Sourced by run.sh and test.sh.
set -euo pipefail

need=()
for pkg in build-essential cmake clang libclang-dev pkg-config git; do
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
