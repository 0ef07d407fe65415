#!/usr/bin/env bash
# Black-box tests of `avara-onboard sync` against the real mock server: a nightly cycle (joiners,
# leavers, changes, returning leavers) whose end state on the server is checked user by user, the
# guards, a stale plan, a SIGKILL mid-apply then --resume, and faults on every endpoint.
source "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
HELP="$SRC/tests/cli/sync_helper.py"
export AVARA_API_KEY=k

server_pid=
start_server() {  # FLAGS...: sets $BASE and $CA
    stop_server
    "$BIN" mock-server --listen 127.0.0.1:0 --write-ca "$WORK/ca.pem" --seed 11 --seed-users "$WORK/seed.json" \
        "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
    server_pid=$!
    for _ in $(seq 100); do
        [[ -s $WORK/server.out ]] && break
        sleep 0.05
    done
    BASE="https://$(head -n1 "$WORK/server.out")"
    CA="$WORK/ca.pem"
}
stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT
stat_of() { curl -sS --cacert "$CA" "$BASE/__admin/stats" | $PY -c "import json,sys; print(json.load(sys.stdin)$1)"; }
sync_() { "$BIN" sync "$@" --base-url "$BASE" --ca-file "$CA" --rate 0 --concurrency 8 -q; }

$PY "$HELP" seed "$WORK/seed.json"
for day in 1 2 3; do $PY "$HELP" roster "$WORK/day$day.csv" "$day"; done
R="$WORK/staff.report.csv"

# --- the nightly cycle ---
start_server
run 0 -- sync_ "$WORK/day1.csv" --report "$R" --revoke-missing
expect_eq "$(count_status "$R" invited)" 1002 "day 1 invites"
run 0 -- $PY "$HELP" check "$BASE" "$CA" "$WORK/day1.csv"
run 0 -- sync_ "$WORK/day2.csv" --report "$R" --revoke-missing
expect_eq "$(count_status "$R" revoked)" 2 "day 2: two leavers revoked"
expect_eq "$(count_status "$R" unchanged)" 1000 "day 2: the rest unchanged"

run 0 -- sync_ "$WORK/day3.csv" --report "$R" --revoke-missing --plan --plan-out "$WORK/plan.json"
expect_contains "$WORK/out" "Plan: 15 to invite, 30 to update, 2 to reactivate, 15 to revoke"
expect_contains "$WORK/out" "~ update p0016@clinic.org: clinicRole: Registered Nurse -> Radiologist"
expect_contains "$WORK/out" "^ reactivate p1001@clinic.org"
expect_contains "$WORK/out" "- revoke p0001@clinic.org"
expect_eq "$(stat -c %a "$WORK/plan.json")" 600 "the plan's mode"
expect_eq "$(stat_of "['usersUpdated']")" 0 "--plan changed nothing"

run 0 -- sync_ --apply "$WORK/plan.json" --report "$R" --html-report "$WORK/sync.html"
expect_contains "$WORK/sync.html" "Changes made (47)"
expect_contains "$WORK/sync.html" "p0016@clinic.org</td><td class=\"status\">updated"
run 0 -- $PY "$HELP" check "$BASE" "$CA" "$WORK/day3.csv"
expect_eq "$(count_status "$R" updated)" 30 "day 3 updates"
expect_eq "$(count_status "$R" reactivated)" 2 "day 3 returning leavers"
expect_eq "$(count_status "$R" revoked)" 15 "day 3 leavers"
expect_eq "$(count_status "$R" invited)" 15 "day 3 joiners"
expect_eq "$(stat_of "['usersUpdated']")" 30 "the server's PATCHes"
run 2 -- sync_ --apply "$WORK/plan.json" --report "$WORK/again.csv"  # applied already: the users changed
expect_contains "$WORK/err" "stale"

# A sync of the same roster changes nothing and sends only the listing.
before=$(stat_of "['totalRequests']")
run 0 -- sync_ "$WORK/day3.csv" --report "$R" --revoke-missing
after=$(stat_of "['totalRequests']")
expect_eq "$((after - before))" 11 "an unchanged sync: 11 listing pages, nothing else"
expect_eq "$(count_status "$R" revoked)" 15 "revoked users stay tracked in the report"

# --- guards: a truncated roster, too many revocations ---
head -n 301 "$WORK/day3.csv" >"$WORK/half.csv"
before=$(stat_of "['totalRequests']")
run 2 -- sync_ "$WORK/half.csv" --report "$R" --revoke-missing
expect_contains "$WORK/err" "--min-valid-rows"
after=$(stat_of "['totalRequests']")
expect_eq "$((after - before))" 11 "a refused sync sent nothing but the listing"
run 2 -- sync_ "$WORK/half.csv" --report "$R" --revoke-missing --min-valid-rows 300
expect_contains "$WORK/err" "--max-revoke"
cp "$R" "$WORK/kept.csv"

# --- SIGKILL mid-apply, then --resume: each change exactly once ---
start_server --latency-ms 20
run 0 -- sync_ "$WORK/day1.csv" --report "$WORK/k.csv"
"$PY" - "$WORK/day1.csv" "$WORK/day1b.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
for r in rows[1:]:
    r[3] = "Surgeon"
csv.writer(open(sys.argv[2], "w", newline="")).writerows(rows)
EOF
"$BIN" sync "$WORK/day1b.csv" --report "$WORK/k.csv" --base-url "$BASE" --ca-file "$CA" --rate 0 \
    --concurrency 4 -q >/dev/null 2>&1 &
victim=$!
for _ in $(seq 200); do
    [[ $(stat_of "['usersUpdated']") -ge 200 ]] && break
    sleep 0.05
done
kill -9 "$victim"
wait "$victim" 2>/dev/null
mid=$(stat_of "['usersUpdated']")
if ((mid > 0 && mid < 1002)); then pass; else fail "the kill landed mid-apply (updated $mid)"; fi
run 0 -- sync_ "$WORK/day1b.csv" --report "$WORK/k.csv" --resume
expect_eq "$(stat_of "['usersUpdated']")" 1002 "every update exactly once across the kill"
expect_eq "$(($(count_status "$WORK/k.csv" updated) + $(count_status "$WORK/k.csv" unchanged)))" 1002 \
    "every row reported once"
run 0 -- $PY "$HELP" check "$BASE" "$CA" "$WORK/day1b.csv"

# --- faults on every endpoint: listing, invite, PATCH, revoke, reactivate ---
start_server --fail-rate 0.1 --drop-rate 0.03 --throttle-rate 0.03
for day in 1 2 3; do
    run 0 -- sync_ "$WORK/day$day.csv" --report "$WORK/f.csv" --revoke-missing --max-retries 10
done
run 0 -- $PY "$HELP" check "$BASE" "$CA" "$WORK/day3.csv"
if (($(stat_of "['responses'].get('503', 0)") > 50)); then pass; else fail "the faults happened"; fi

# --- usage ---
run 2 -- "$BIN" sync --base-url "$BASE" --ca-file "$CA"
expect_contains "$WORK/err" "needs a ROSTER"
finish
