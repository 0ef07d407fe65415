#!/usr/bin/env bash
# bench/validate_bench.sh [ROWS] [RUNS]
#
# How fast `avara-onboard validate` goes through a big roster, and how much memory it takes, next to
# the yardsticks: a bare Python csv.reader loop (what an administrator would write instead) and the
# CSV reader alone (ours, and fast-cpp-csv-parser's line reader that it replaced).
#
# Builds Release in build-bench/ (or in $BENCH_BUILD, a path relative to the repository or absolute,
# so that two people sharing a checkout do not rebuild each other's tree), writes a ROWS-row roster (default 1,000,000, ~80 MB) with gen_roster
# into bench/data/ (git-ignored), then RUNS times (default 3) runs each tool under /usr/bin/time -v and
# prints wall time, CPU time, rows/s by each and peak RSS. The machine is shared, so rates by CPU time
# (user + sys) are the ones to compare between runs; wall rates say what a user would see right now.
# The summary takes each tool's best run and checks the goal: validate (report written, duplicate
# detection included) >= 2,500,000 rows/s and >= 3x the Python loop, under 64 MB peak RSS.
# Then the same for an .xlsx of XLSX_ROWS rows (default 100,000; bench/csv_to_xlsx.py writes it from a
# gen_roster CSV, with shared strings as spreadsheet programs do): time, and peak RSS < 64 MB.
set -euo pipefail

rows=${1:-1000000}
runs=${2:-3}
xlsx_rows=${XLSX_ROWS:-100000}
if ! [[ $rows =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bench/validate_bench.sh [ROWS] [RUNS]" >&2
    exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-build-bench}
[[ $build == /* ]] || build="$root/$build"
data="$root/bench/data"
goal_rate=2500000
goal_ratio=3
goal_rss_mb=64

if [[ ! -x /usr/bin/time ]]; then
    AVARA_BENCH_DEPS=1 bash "$root/scripts/install-deps.sh"
fi

echo "== building Release in $build" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAVARA_BENCH=ON -DAVARA_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target avara-onboard gen_roster csv_read_bench >/dev/null

mkdir -p "$data"
roster="$data/roster_${rows}.csv"
report="$data/roster_${rows}.report.csv"
echo "== generating $roster" >&2
"$build/bench/gen_roster" "$rows" "$roster" >&2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME OK_CODES CMD...: runs CMD under /usr/bin/time -v and appends
# "NAME wall_s cpu_s peak_rss_kb" to $tmp/results (a "~" in NAME prints as a space). OK_CODES is a
# regex of acceptable exit codes.
measure() {
    local name=$1 ok=$2
    shift 2
    local rc=0
    /usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if ! [[ $rc =~ ^($ok)$ ]]; then
        echo "validate_bench: '$name' exited with $rc" >&2
        cat "$tmp/err" >&2
        exit 1
    fi
    awk -v name="$name" '
        /Elapsed \(wall clock\)/ {
            n = split($NF, p, ":"); wall = 0
            for (i = 1; i <= n; i++) wall = wall * 60 + p[i]
        }
        /User time \(seconds\)/ { user = $NF }
        /System time \(seconds\)/ { sys = $NF }
        /Maximum resident set size/ { rss = $NF }
        END { printf "%s %.3f %.3f %d\n", name, wall, user + sys, rss }
    ' "$tmp/time" >>"$tmp/results"
}

# Prints the table of the result lines given on stdin.
table() {
    awk -v rows="$rows" '
        function rate(secs) { return secs > 0 ? rows / secs : 0 }
        BEGIN {
            printf "  %-22s %8s %8s %14s %14s %12s\n", "tool", "wall s", "cpu s", "rows/s wall",
                   "rows/s cpu", "peak RSS MB"
        }
        {
            label = $1; gsub(/~/, " ", label)
            printf "  %-22s %8.2f %8.2f %14.0f %14.0f %12.1f\n", label, $2, $3, rate($2), rate($3),
                   $4 / 1024
        }'
}

ratio_line() {  # the validate/python ratio of the result lines given on stdin
    awk '
        $1 == "validate+report" { vw = $2; vc = $3 }
        $1 == "python~csv.reader" { pw = $2; pc = $3 }
        END {
            if (vw > 0 && vc > 0)
                printf "  ratio validate/python: %.2fx by wall time, %.2fx by CPU time\n", pw / vw, pc / vc
        }'
}

size_mb=$(awk -v b="$(stat -c %s "$roster")" 'BEGIN { printf "%.1f", b / 1048576 }')
for ((run = 1; run <= runs; run++)); do
    : >"$tmp/results"
    measure validate+report '0|1' "$build/avara-onboard" validate "$roster" --report "$report" --quiet
    report_lines=$(wc -l <"$report")
    if [[ $report_lines -ne $((rows + 1)) ]]; then
        echo "validate_bench: the report has $report_lines lines, expected $((rows + 1))" >&2
        exit 1
    fi
    measure python~csv.reader 0 /usr/bin/python3 "$root/bench/python_csv_baseline.py" "$roster"
    measure csv_read_bench~avara 0 "$build/bench/csv_read_bench" avara "$roster"
    measure csv_read_bench~fccp 0 "$build/bench/csv_read_bench" fccp "$roster"

    echo "run $run/$runs: $rows rows, $size_mb MB"
    table <"$tmp/results"
    ratio_line <"$tmp/results"
    cat "$tmp/results" >>"$tmp/all"
done

# Each tool's best run: the most rows/s by CPU time (the least disturbed by the neighbours), and the
# highest peak RSS seen (memory must stay under the goal in every run).
awk '
    { key = $1
      if (!(key in cpu) || $3 < cpu[key]) cpu[key] = $3
      if (!(key in wall) || $2 < wall[key]) wall[key] = $2
      if ($4 > rss[key]) rss[key] = $4
      if (!(key in order)) order[key] = n++ }
    END { for (k in order) print order[k], k, wall[k], cpu[k], rss[k] }
' "$tmp/all" | sort -n | cut -d' ' -f2- >"$tmp/best"
echo
echo "best of $runs (shortest wall and CPU time, highest peak RSS):"
table <"$tmp/best"
ratio_line <"$tmp/best"

awk -v rows="$rows" -v goal_rate="$goal_rate" -v goal_ratio="$goal_ratio" -v goal_rss="$goal_rss_mb" '
    $1 == "validate+report" { vc = $3; vw = $2; rss = $4 / 1024 }
    $1 == "python~csv.reader" { pc = $3 }
    END {
        r = rows / vc
        printf "goal: validate >= %d rows/s by CPU time: %.0f rows/s (%s)\n", goal_rate, r,
               (r >= goal_rate ? "met" : "MISSED")
        printf "goal: validate >= %dx the Python loop by CPU time: %.2fx (%s)\n", goal_ratio, pc / vc,
               (pc / vc >= goal_ratio ? "met" : "MISSED")
        printf "goal: validate peak RSS < %d MB: %.1f MB (%s)\n", goal_rss, rss, (rss < goal_rss ? "met" : "MISSED")
    }' "$tmp/best"

# The workbook: the same pipeline behind the .xlsx reader (libzip + expat).
xlsx_csv="$data/roster_${xlsx_rows}.csv"
xlsx="$data/roster_${xlsx_rows}.xlsx"
"$build/bench/gen_roster" "$xlsx_rows" "$xlsx_csv" >&2
/usr/bin/python3 "$root/bench/csv_to_xlsx.py" "$xlsx_csv" "$xlsx"
: >"$tmp/xlsx"
for ((run = 1; run <= runs; run++)); do
    : >"$tmp/results"
    measure validate~xlsx '0|1' "$build/avara-onboard" validate "$xlsx" --report "$data/roster_xlsx.report.csv" --quiet
    cat "$tmp/results" >>"$tmp/xlsx"
done
echo
echo ".xlsx, $xlsx_rows rows ($(awk -v b="$(stat -c %s "$xlsx")" 'BEGIN { printf "%.1f", b / 1048576 }') MB), best of $runs:"
sort -k3,3n "$tmp/xlsx" | head -1 | awk -v rows="$xlsx_rows" '
    { printf "  %-22s %8.2f s wall %8.2f s cpu %12.0f rows/s cpu %10.1f MB peak RSS\n", "validate .xlsx", $2, $3,
             rows / $3, $4 / 1024 }'
awk -v goal_rss="$goal_rss_mb" '{ if ($4 > rss) rss = $4 }
    END { printf "goal: validate .xlsx peak RSS < %d MB: %.1f MB (%s)\n", goal_rss, rss / 1024,
                 (rss / 1024 < goal_rss ? "met" : "MISSED") }' "$tmp/xlsx"
