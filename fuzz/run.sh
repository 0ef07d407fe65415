#!/usr/bin/env bash
# fuzz/run.sh SECONDS [RESUME_SECONDS]
# Builds the fuzz targets with clang in build-fuzz/, then fuzzes, one after the other:
#  - fuzz_roster, the roster input path (the CSV reader and the validation stage behind it), for
#    SECONDS, starting from the seeds in fuzz/corpus/;
#  - fuzz_resume, what --resume reads (reports, journals, .previous files), for RESUME_SECONDS
#    (default 30).
# Inputs the fuzzer finds go to build-fuzz/corpus/ and build-fuzz/corpus-resume/ (the committed seeds
# stay as they are). Exits non-zero when a fuzzer finds a crash, a sanitizer report, a broken
# invariant, a hang or a leak; the reproducer is then in build-fuzz/artifacts/.
set -euo pipefail

seconds=${1:?usage: fuzz/run.sh SECONDS [RESUME_SECONDS]}
resume_seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAVARA_FUZZ=ON -DAVARA_SANITIZE=ON -DAVARA_TESTS=OFF -DAVARA_BENCH=OFF \
    -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
cmake --build "$build" -j2 --target fuzz_roster fuzz_resume

mkdir -p "$build/corpus" "$build/corpus-resume" "$build/artifacts"
fuzz() {  # target, seconds, corpus folders...
    local target=$1 time=$2
    shift 2
    echo "== fuzz: $target for $time s"
    "$build/fuzz/$target" -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$@"
}
fuzz fuzz_roster "$seconds" "$build/corpus" "$root/fuzz/corpus"
fuzz fuzz_resume "$resume_seconds" "$build/corpus-resume"
