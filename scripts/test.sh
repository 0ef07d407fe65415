#!/usr/bin/env bash
# Builds and runs every test: a normal build, then the same tests under AddressSanitizer + UBSan,
# then the roster fuzzer for a minute. Installs what is missing first. Exit status 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
jobs=$(nproc)
# Let ccache reuse objects across checkouts in different folders (CI clones anew each time).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

run_suite() {  # name, build dir, extra cmake args...
    local name=$1 dir=$2
    shift 2
    echo "== $name: configure and build ($dir)"
    cmake -S . -B "$dir" -G Ninja -DAVARA_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    echo "== $name: tests"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

echo "== format: clang-format --dry-run over every C++ file"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

run_suite "normal build" build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "ASan + UBSan" build-asan -DCMAKE_BUILD_TYPE=Debug -DAVARA_SANITIZE=ON -DAVARA_BENCH=OFF

if [[ "${AVARA_SKIP_FUZZ:-0}" != 1 ]]; then
    echo "== fuzz: fuzz_roster for ${AVARA_FUZZ_SECONDS:-60} s"
    ./fuzz/run.sh "${AVARA_FUZZ_SECONDS:-60}"
fi
echo "== all test suites passed"
