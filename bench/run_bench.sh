#!/usr/bin/env bash
# bench/run_bench.sh [ROWS]
#
# How fast `avara-onboard run --rate 0 --concurrency 64` invites ROWS roster rows (default 100,000),
# against (a) our own mock server and (b) nginx answering every invite with a fixed 201 (the fastest
# server the client could meet), and how close that comes to the ceiling: wrk hammering the same nginx
# URL with 64 connections. All on 127.0.0.1 over TLS.
#
# Prints, per run: rows/s and requests/s (wall), the client's CPU time (also per request, which says
# more than wall time on a shared machine; wrk's is printed too) and peak RSS (/usr/bin/time -v),
# the connections the client says it opened (its final stderr line) and the connections the server
# accepted (each one is a TLS handshake; counted by tracing accept() in the server with strace), and
# wrk's requests/s. Goal: the client against nginx >= 80% of wrk's requests/s, < 64 MB peak RSS, and
# handshakes == connections (the client reuses its keep-alive connections and nothing else).
#
# Builds Release in build-bench/, writes the roster to bench/data/, everything else to a temp dir that
# is removed on exit along with the servers this script started.
set -euo pipefail

rows=${1:-100000}
if ! [[ $rows =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bench/run_bench.sh [ROWS]" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
data="$root/bench/data"
concurrency=64
goal_share=80
goal_rss_mb=64

if [[ ! -x /usr/bin/time || ! -x /usr/sbin/nginx || -z $(command -v wrk) ]]; then
    AVARA_BENCH_DEPS=1 bash "$root/scripts/install-deps.sh"
fi
have_strace=0
command -v strace >/dev/null && have_strace=1

echo "== building Release in $build" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAVARA_BENCH=ON -DAVARA_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target avara-onboard gen_roster >/dev/null
bin="$build/avara-onboard"

mkdir -p "$data"
roster="$data/run_${rows}.csv"
"$build/bench/gen_roster" "$rows" "$roster" >&2

tmp=$(mktemp -d)
server_pids=()
cleanup() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${server_pids[@]}"; do  # not children of this shell when traced: poll
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        # A SIGTERM that reaches a traced server while strace is stopping it can be lost (seen once:
        # the script then waited for strace forever); what is still alive after 5 s is killed.
        if kill -0 "$pid" 2>/dev/null; then
            echo "run_bench: server $pid ignored SIGTERM for 5 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    wait
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# traced NAME CMD...: starts a server in the background, under strace (when present) so that every
# accept() it makes is logged to $tmp/NAME.accepts; the server's own pid goes to $server_pid (strace
# ignores SIGTERM, so the server is what gets stopped; strace ends with it).
traced() {
    local name=$1
    shift
    if ((have_strace)); then
        strace -f -qq --seccomp-bpf -e trace=accept,accept4 -e signal=none -o "$tmp/$name.accepts" "$@" \
            >"$tmp/$name.out" 2>"$tmp/$name.err" &
        local tracer=$! child=
        for _ in $(seq 100); do
            child=$(pgrep -P "$tracer" || true)
            [[ -n $child ]] && break
            sleep 0.05
        done
        server_pid=${child:-$tracer}
    else
        "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
        server_pid=$!
    fi
    server_pids+=("$server_pid")
}

# accepted NAME: connections the server NAME has accepted so far ("n/a" without strace).
accepted() {
    if ((have_strace)); then
        # A successful accept returns a descriptor; "= -1 EAGAIN" is the non-blocking accept finding
        # nobody. A call interrupted by a thread switch is logged as "<unfinished ...>" and "resumed".
        grep -E 'accept4?\(|accept4? resumed>' "$tmp/$1.accepts" | grep -cE '= [0-9]+$' || true
    else
        echo n/a
    fi
}

# client NAME BASE_URL CA: the run under test; appends a result line to $tmp/results.
client() {
    local name=$1 url=$2 ca=$3 rc=0
    local before
    before=$(accepted "$name")
    AVARA_API_KEY=bench /usr/bin/time -v -o "$tmp/$name.time" "$bin" run "$roster" --base-url "$url" \
        --ca-file "$ca" --rate 0 --concurrency "$concurrency" --report "$tmp/$name.report.csv" \
        --summary "$tmp/$name.summary.json" 2>"$tmp/$name.client.err" || rc=$?
    if ((rc > 1)); then
        echo "run_bench: the run against $name exited with $rc" >&2
        cat "$tmp/$name.client.err" >&2
        exit 1
    fi
    local after
    after=$(accepted "$name")
    local handshakes=n/a
    [[ $after != n/a ]] && handshakes=$((after - before))
    python3 - "$name" "$rows" "$tmp/$name.time" "$tmp/$name.summary.json" "$tmp/$name.client.err" \
        "$handshakes" >>"$tmp/results" <<'EOF'
import json, re, sys
name, rows, time_path, summary_path, err_path, handshakes = sys.argv[1:]
t = open(time_path).read()
def field(label):
    line = next(l for l in t.splitlines() if l.strip().startswith(label))
    return line.rsplit(": ", 1)[1].strip()
parts = [float(p) for p in field("Elapsed (wall clock) time").split(":")]
wall = 0.0
for p in parts:
    wall = wall * 60 + p
cpu = float(field("User time")) + float(field("System time"))
rss_mb = int(field("Maximum resident set size")) / 1024
s = json.load(open(summary_path))
m = re.findall(r"(\d+) connections", open(err_path).read())
connections = m[-1] if m else "?"
bad = s["counts"]["failed"] + s["counts"]["rejected"]
print(f"{name} {int(rows)} {s['requests']} {wall:.3f} {cpu:.3f} {rss_mb:.1f} {connections} {handshakes} "
      f"{s['counts']['invited']} {bad}")
EOF
}

# (a) the mock server
traced mock "$bin" mock-server --listen 127.0.0.1:0 --write-ca "$tmp/mock-ca.pem"
for _ in $(seq 100); do
    [[ -s $tmp/mock.out ]] && break
    sleep 0.1
done
mock_addr=$(head -n1 "$tmp/mock.out")
[[ -n $mock_addr ]] || { echo "run_bench: the mock server did not start" >&2; cat "$tmp/mock.err" >&2; exit 1; }
echo "== client -> mock server at $mock_addr" >&2
client mock "https://$mock_addr" "$tmp/mock-ca.pem"

# (b) nginx, with a self-signed certificate for 127.0.0.1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
nginx_port=
for _ in 1 2 3; do
    port=$(free_port)
    sed -e "s|@DIR@|$tmp|g" -e "s|@PORT@|$port|g" "$root/bench/nginx.conf.in" >"$tmp/nginx.conf"
    traced nginx /usr/sbin/nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log"
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            nginx_port=$port
            break 2
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$server_pid" 2>/dev/null || true  # lost the port to someone else: try another
done
[[ -n $nginx_port ]] || { echo "run_bench: nginx did not start" >&2; cat "$tmp/error.log" "$tmp/nginx.err" >&2; exit 1; }
# The readiness probe above is a connection too: wait until nginx has accepted it, or it may be
# accepted during the client's run and counted as one of its handshakes (seen once: 65 for 64).
if ((have_strace)); then
    for _ in $(seq 50); do
        (($(accepted nginx) >= 1)) && break
        sleep 0.1
    done
fi
echo "== client -> nginx at 127.0.0.1:$nginx_port" >&2
client nginx "https://127.0.0.1:$nginx_port" "$tmp/cert.pem"

echo "== wrk -t1 -c$concurrency -d10s -> nginx" >&2
# A body like the client's; wrk sends the same request on every connection as fast as it can.
cat >"$tmp/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
wrk.body = '{"email":"ana.diaz0@northclinic.org","firstName":"Ana","lastName":"Diaz",' ..
    '"clinicRole":"Registered Nurse","level":"member","canManageStudies":false,' ..
    '"hasDashboardAccess":true,"phoneNumber":"5550101234"}'
EOF
/usr/bin/time -v -o "$tmp/wrk.time" wrk -t1 -c"$concurrency" -d10s -s "$tmp/post.lua" \
    "https://127.0.0.1:$nginx_port/v1/viewer/users" >"$tmp/wrk.out"
wrk_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out")
wrk_requests=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
wrk_cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$tmp/wrk.time")
if grep -q "Non-2xx" "$tmp/wrk.out"; then
    echo "run_bench: wrk saw non-2xx answers:" >&2
    cat "$tmp/wrk.out" >&2
    exit 1
fi

echo
awk -v wrk="$wrk_rps" -v wrk_requests="$wrk_requests" -v wrk_cpu="$wrk_cpu" -v goal_share="$goal_share" -v goal_rss="$goal_rss_mb" '
    BEGIN {
        printf "%-8s %8s %9s %8s %8s %8s %10s %10s %8s %12s %11s %8s\n", "server", "rows", "requests",
               "wall s", "cpu s", "cpu us/r", "rows/s", "req/s", "RSS MB", "connections", "handshakes",
               "% of wrk"
    }
    {
        rps = $3 / $4
        printf "%-8s %8d %9d %8.2f %8.2f %8.1f %10.0f %10.0f %8.1f %12s %11s %8.1f\n", $1, $2, $3, $4, $5,
               1e6 * $5 / $3, $2 / $4, rps, $6, $7, $8, 100 * rps / wrk
        if ($10 != 0 || $9 != $3)
            printf "  %s: %d rows failed or rejected, %d invited of %d requests\n", $1, $10, $9, $3
        if ($1 == "nginx") { nginx_rps = rps; nginx_rss = $6; nginx_conn = $7; nginx_hs = $8 }
        if ($7 != $8) mismatch = mismatch " " $1
    }
    END {
        printf "%-8s %8s %9d %8s %8.2f %8.1f %10s %10.0f\n", "wrk", "", wrk_requests, "10", wrk_cpu,
               1e6 * wrk_cpu / wrk_requests, "", wrk
        printf "goal: client vs nginx >= %d%% of wrk: %.1f%% (%s)\n", goal_share, 100 * nginx_rps / wrk,
               (100 * nginx_rps / wrk >= goal_share ? "met" : "MISSED")
        printf "goal: client peak RSS < %d MB: %.1f MB (%s)\n", goal_rss, nginx_rss,
               (nginx_rss < goal_rss ? "met" : "MISSED")
        printf "goal: handshakes == connections: %s\n", (mismatch == "" ? "met" : "MISSED for" mismatch)
    }' "$tmp/results"
