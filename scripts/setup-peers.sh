#!/usr/bin/env bash
# Installs the Python packages of the peers of `sluice bench embed` (ONNX Runtime:
# scripts/bench_peer_onnx.py; PyTorch: scripts/bench_peer_embed.py) and of `sluice bench
# pipeline` (confluent-kafka + sentence-transformers: scripts/bench_peer_pipeline.py) into a
# venv at .deps/peers, never system-wide. PyTorch from the ordinary index is several GB (it
# brings its CUDA libraries; CPU inference works): PEERS_TORCH=0 leaves it out.
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
torch_peers=(torch==2.15.0 sentence-transformers==6.3.0 confluent-kafka==2.16.2)

say() { printf 'setup-peers: %s\n' "$*" >&2; }
die() { printf 'setup-peers: error: %s\n' "$*" >&2; exit 1; }

want_torch=${PEERS_TORCH:-1}
stamp="$venv/.stamp-$want_torch-$(cat "$0" | sha256sum | cut -c1-16)"
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
if [ "$want_torch" != 1 ] && ! "${pip[@]}" install --quiet --only-binary=:all: "${optional[@]}"; then
  say "warning: ${optional[*]} did not install; the peer falls back to its own WordPiece tokenizer"
fi
if [ "$want_torch" = 1 ]; then
  say "installing ${torch_peers[*]} (several GB; PEERS_TORCH=0 skips them)"
  # With tokenizers in the same call, so that one resolution fits transformers' huggingface-hub too.
  "${pip[@]}" install --quiet "${optional[@]}" "${torch_peers[@]}" \
    || die "could not install ${torch_peers[*]}; PEERS_TORCH=0 installs the ONNX Runtime peer alone"
  "$venv/bin/python3" -c 'import torch, sentence_transformers, confluent_kafka' \
    || die "the venv cannot import torch, sentence_transformers and confluent_kafka"
fi
"$venv/bin/python3" -c 'import numpy, onnx, onnxruntime' || die "the venv cannot import numpy, onnx and onnxruntime"
rm -f "$venv"/.stamp-* && touch "$stamp"
say "ready: PATH=.deps/peers/bin:\$PATH sluice bench embed, or .deps/peers/bin/python3 scripts/bench_peer_onnx.py"
