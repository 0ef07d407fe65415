#!/usr/bin/env bash
# Builds avara-onboard and runs the main job: the sample roster through `run` against the built-in
# mock server (a real TLS server on loopback with a fresh, verified certificate). Installs what is
# missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target avara-onboard
exec ./build/avara-onboard demo "$@"
