#!/usr/bin/env bash
# fuzz/run.sh SECONDS
# Builds the fuzz targets with clang in build-fuzz/ and fuzzes the roster input path (the CSV reader
# and the validation stage behind it) for SECONDS, starting from the seeds in fuzz/corpus/. Inputs the fuzzer finds go to build-fuzz/corpus/ (the committed seeds
# stay as they are). Exits non-zero when the fuzzer finds a crash, a sanitizer report, a broken
# invariant, a hang or a leak; the reproducer is then in build-fuzz/artifacts/.
set -euo pipefail

seconds=${1:?usage: fuzz/run.sh SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAVARA_FUZZ=ON -DAVARA_SANITIZE=ON -DAVARA_TESTS=OFF -DAVARA_BENCH=OFF \
    -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
cmake --build "$build" -j2 --target fuzz_roster

mkdir -p "$build/corpus" "$build/artifacts"
exec "$build/fuzz/fuzz_roster" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$build/corpus" "$root/fuzz/corpus"
