#!/usr/bin/env bash
# Black-box suite for `run` as an administrator drives it: the mock server as its own process
# (`avara-onboard mock-server`), the key in a file or the environment, the base URL from the
# environment, and the server's --state-file as the record of what was really sent.
source "$(dirname "$0")/lib.bash"

roster=$WORK/staff.csv
{
    echo "email,first_name,last_name,clinic_role,level,can_manage_studies,has_dashboard_access"
    for i in $(seq 1 40); do
        printf 'user%04d@example.org,First%d,Last%d,RN,member,no,yes\n' "$i" "$i" "$i"
    done
} >"$roster"
sed -i 's/,RN,/,Registered Nurse,/' "$roster"

server_pid=
# start_server ARGS...: a mock server in the background; sets $server_pid and $base.
start_server() {
    rm -f "$WORK/server.out" "$WORK/state.json"
    "$BIN" mock-server --listen 127.0.0.1:0 --write-ca "$WORK/ca.pem" --state-file "$WORK/state.json" "$@" \
        >"$WORK/server.out" 2>"$WORK/server.err" &
    server_pid=$!
    for _ in $(seq 1 300); do
        [[ -s $WORK/server.out ]] && break
        sleep 0.1
    done
    base="https://$(head -1 "$WORK/server.out")"
}
# stop_server: SIGTERM, then wait, so the state file is written.
stop_server() {
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
}
trap 'stop_server; rm -rf "$WORK"' EXIT
# state KEY: a figure of the server's state file.
state() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WORK/state.json" "$1"; }

# The key from a file, the base URL from the environment.
start_server --api-key "file-key-S3CR3T"
printf 'file-key-S3CR3T\n' >"$WORK/key"
chmod 600 "$WORK/key"
AVARA_BASE_URL=$base run 0 -- "$BIN" run "$roster" --api-key-file "$WORK/key" --ca-file "$WORK/ca.pem" \
    --rate 0 --summary "$WORK/summary.json"
expect_eq "$(count_status "$WORK/staff.report.csv" invited)" 40 "invited rows (report beside the roster)"
expect_not_contains "$WORK/err" "S3CR3T"
expect_not_contains "$WORK/err" "warning"
expect_eq "$(stat -c %a "$WORK/staff.report.csv")" 600 "report mode"
expect_eq "$(stat -c %a "$WORK/summary.json")" 600 "summary mode"

# A key file others can read still works, with a warning saying how to fix it.
chmod 644 "$WORK/key"
run 0 -- "$BIN" run "$roster" --api-key-file "$WORK/key" --ca-file "$WORK/ca.pem" --base-url "$base" --rate 0
expect_contains "$WORK/err" "chmod 600"
expect_eq "$(count_status "$WORK/staff.report.csv" invited)" 40 "a second run replays its own invites"
stop_server
expect_eq "$(state usersCreated)" 40 "users created over both runs"
expect_eq "$(state totalRequests)" 80 "requests over both runs"

# The key given on the command line is not an option at all.
start_server
run 2 -- "$BIN" run "$roster" --api-key "oops" --base-url "$base" --ca-file "$WORK/ca.pem"
stop_server
expect_eq "$(state totalRequests)" 0 "requests after a usage error"

# A server that asks for a pause longer than --max-wait ends the run (exit 3), saying when to come
# back; the row it refused is `failed`, so --resume will send it again.
start_server --throttle-rate 1 --retry-after 600 --seed 7
AVARA_API_KEY=k run 3 -- "$BIN" run "$roster" --base-url "$base" --ca-file "$WORK/ca.pem" --max-wait 5 \
    --concurrency 1 --report "$WORK/wait.csv"
stop_server
expect_contains "$WORK/err" "longer than --max-wait; it will accept requests again at"
expect_contains "$WORK/err" "--resume"
expect_eq "$(count_status "$WORK/wait.csv" failed)" 1 "the throttled row is failed"
expect_eq "$(state totalRequests)" 1 "requests before the run stopped"

# --help documents the exit codes and resuming.
run 0 -- "$BIN" run --help
expect_contains "$WORK/out" "--resume"
expect_contains "$WORK/out" "Exit codes"

finish
