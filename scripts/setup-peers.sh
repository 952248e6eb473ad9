#!/usr/bin/env bash
# Installs the Python packages of the ONNX Runtime peer of `sluice bench embed`
# (scripts/bench_peer_onnx.py) into a venv at .deps/peers, never system-wide.
# Optional: nothing in `make test` or `make run` needs it.
#
# `sluice bench embed` runs the `python3` on PATH, so to have it use the venv:
#   PATH=.deps/peers/bin:$PATH sluice bench embed
# or run the peer alone:
#   .deps/peers/bin/python3 scripts/bench_peer_onnx.py --texts FILE --runs 3
#
# Versions are pinned so that two machines time the same runtime. tokenizers is
# optional: when it does not install, the peer uses its own WordPiece on vocab.txt.
# A second run with everything in place only checks the stamp and takes a second.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.deps/peers"
python=${PYTHON:-python3}
required=(numpy==2.4.6 onnx==1.23.1 onnxruntime==1.30.0)
optional=(tokenizers==0.23.2)

say() { printf 'setup-peers: %s\n' "$*" >&2; }
die() { printf 'setup-peers: error: %s\n' "$*" >&2; exit 1; }

stamp="$venv/.stamp-$(cat "$0" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && "$venv/bin/python3" -c 'import numpy, onnx, onnxruntime' 2>/dev/null; then
  exit 0
fi

command -v "$python" >/dev/null || die "$python is not on PATH"
if [ ! -x "$venv/bin/python3" ]; then
  say "creating the venv .deps/peers"
  "$python" -m venv "$venv" || die "'$python -m venv' failed (on Debian: apt-get install python3-venv)"
fi
pip=("$venv/bin/python3" -m pip --disable-pip-version-check)
say "installing ${required[*]}"
"${pip[@]}" install --quiet --only-binary=:all: "${required[@]}" \
  || die "could not install ${required[*]} from PyPI; check the network and run again"
if ! "${pip[@]}" install --quiet --only-binary=:all: "${optional[@]}"; then
  say "warning: ${optional[*]} did not install; the peer falls back to its own WordPiece tokenizer"
fi
"$venv/bin/python3" -c 'import numpy, onnx, onnxruntime' || die "the venv cannot import numpy, onnx and onnxruntime"
rm -f "$venv"/.stamp-* && touch "$stamp"
say "ready: PATH=.deps/peers/bin:\$PATH sluice bench embed, or .deps/peers/bin/python3 scripts/bench_peer_onnx.py"
