#!/usr/bin/env bash
# bench/mock_server_bench.sh AVARA_ONBOARD [DURATION] [CONNECTIONS] [SERVER_THREADS] [WRK_THREADS]
#
# How many invites per second the mock server takes: wrk POSTs a valid invite with a fresh email on
# every request, over loopback TLS with keep-alive (defaults: 10s, 32 connections, 1 server thread,
# 1 wrk thread), on the same machine as the server. Prints wrk's report, then requests/s (wrk), the
# server's CPU time per request, and invites/s (users the server says it created, divided by the
# duration). The goal is >= 20,000 invites/s on a 2-core machine, so the server is never the
# bottleneck of our tests and demos.
#
# wrk does not verify certificates (it has no option to); everything else of ours always does.
set -euo pipefail

if [[ $# -lt 1 || ! -x $1 ]]; then
    echo "usage: bench/mock_server_bench.sh path/to/avara-onboard [DURATION] [CONNECTIONS] [SERVER_THREADS] [WRK_THREADS]" >&2
    exit 2
fi
bin=$1
duration=${2:-10s}
connections=${3:-32}
server_threads=${4:-1}
wrk_threads=${5:-1}
root=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v wrk >/dev/null; then
    AVARA_BENCH_DEPS=1 bash "$root/scripts/install-deps.sh"
fi

tmp=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" mock-server --listen 127.0.0.1:0 --write-ca "$tmp/ca.pem" --api-key bench --threads "$server_threads" \
    --state-file "$tmp/state.json" >"$tmp/stdout" 2>"$tmp/stderr" &
server_pid=$!
address=
for _ in $(seq 100); do
    address=$(head -n 1 "$tmp/stdout" 2>/dev/null || true)
    [[ $address == *:* ]] && break
    sleep 0.1
done
if [[ $address != *:* ]]; then
    echo "mock-server did not start:" >&2
    cat "$tmp/stderr" >&2
    exit 1
fi

# A fresh email per request: each wrk thread numbers its own, with the thread's index as a prefix.
cat >"$tmp/invite.lua" <<'LUA'
local next_thread = 0
function setup(thread)
    thread:set("thread_index", next_thread)
    next_thread = next_thread + 1
end
function init(args)
    prefix = "bench" .. thread_index .. "-"
    counter = 0
    headers = { ["Authorization"] = "Bearer bench", ["Content-Type"] = "application/json" }
end
function request()
    counter = counter + 1
    local body = '{"email":"' .. prefix .. counter .. '@example.org","firstName":"Ada","lastName":"Lovelace",' ..
        '"clinicRole":"Radiologist","level":"member","canManageStudies":true,"hasDashboardAccess":true}'
    return wrk.format("POST", "/v1/viewer/users", headers, body)
end
LUA

# CPU seconds the server has used so far (user + system), from /proc: a figure that a busy machine
# disturbs far less than requests/s.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$server_pid/stat"; }
cpu_before=$(server_cpu)

echo "== wrk -t$wrk_threads -c$connections -d$duration against $address (server threads: $server_threads)"
wrk -t"$wrk_threads" -c"$connections" -d"$duration" -s "$tmp/invite.lua" "https://$address/v1/viewer/users" \
    | tee "$tmp/wrk.txt"

cpu_after=$(server_cpu)
stats=$(curl -sS --noproxy '*' --cacert "$tmp/ca.pem" "https://$address/__admin/stats")
created=$(sed -n 's/^{"usersCreated":\([0-9]*\),.*/\1/p' <<<"$stats")
responses=$(sed -n 's/.*"responses":{\([^}]*\)}.*/\1/p' <<<"$stats")
seconds=$(awk -v d="$duration" 'BEGIN { n = d + 0; if (d ~ /m$/) n *= 60; if (d ~ /h$/) n *= 3600; print n }')
requests_per_s=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.txt")
echo "== responses by status: $responses"
echo "requests/s: $requests_per_s"
echo "server CPU per request: $(awk -v a="$cpu_before" -v b="$cpu_after" -v n="$created" \
    'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1e6 / n; else print "-" }') us"
echo "invites/s: $(awk -v c="$created" -v s="$seconds" 'BEGIN { printf "%.0f", c / s }') ($created users created in $seconds s)"
