# Shared helpers for the black-box suites: run the real binary, assert on exit codes and files.
# Each suite sources this, calls `check`/`expect_*`, and ends with `finish`.
BIN=${1:?usage: suite.sh BINARY SOURCE_DIR}
SRC=${2:?usage: suite.sh BINARY SOURCE_DIR}
WORK=$(mktemp -d /tmp/avara-cli-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); }
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL: $*" >&2
}

# run EXPECTED_EXIT -- command...: runs it, captures stdout/stderr in $WORK/out and $WORK/err.
run() {
    local want=$1
    shift
    [[ $1 == -- ]] && shift
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [[ $got -ne $want ]]; then
        fail "exit $got, wanted $want: $*"
        sed 's/^/    stderr: /' "$WORK/err" | head -5 >&2
        return 1
    fi
    pass
}

expect_contains() {  # file, text
    if grep -qF -- "$2" "$1"; then pass; else
        fail "$1 lacks: $2"
        head -5 "$1" | sed 's/^/    /' >&2
    fi
}
expect_not_contains() {
    if grep -qF -- "$2" "$1"; then fail "$1 should not contain: $2"; else pass; fi
}
expect_eq() {  # actual, expected, what
    if [[ "$1" == "$2" ]]; then pass; else fail "$3: got '$1', wanted '$2'"; fi
}
# The number of report lines (header excluded) with the given status in column 4.
count_status() { awk -F, -v s="$2" 'NR > 1 && $4 == s' "$1" | wc -l | tr -d ' '; }

finish() {
    echo "$(basename "$0" .sh): $PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
}
