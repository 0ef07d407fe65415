#!/usr/bin/env bash
# bench/sync_bench.sh [USERS]
#
# `sync` of a directory of USERS users (default 100,000) against a roster of as many rows with 1% of
# them changed (a role or a last name), at --rate 0, against the mock server on 127.0.0.1 over TLS:
# the time of the listing and the diff (`sync --plan`, which sends nothing but the listing), its peak
# RSS (goal < 64 MB), then the apply of the 1% (`sync`) and its peak RSS.
set -euo pipefail

users=${1:-100000}
if ! [[ $users =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bench/sync_bench.sh [USERS]" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
py=/usr/bin/python3
[[ -x /usr/bin/time ]] || AVARA_BENCH_DEPS=1 bash "$root/scripts/install-deps.sh"

echo "== building Release in $build" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAVARA_BENCH=ON -DAVARA_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target avara-onboard >/dev/null
bin="$build/avara-onboard"

tmp=$(mktemp -d)
server_pid=
trap '[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

"$py" - "$users" "$tmp/seed.json" "$tmp/roster.csv" <<'EOF'
import csv, json, sys
n = int(sys.argv[1])
seed, rows = [], []
for i in range(n):
    email = f"person{i:07d}@clinic.org"
    role, last = "Registered Nurse", f"Last{i}"
    seed.append({"email": email, "firstName": f"First{i}", "lastName": last, "clinicRole": role,
                 "level": "member", "canManageStudies": False, "hasDashboardAccess": True,
                 "invitedSource": "api", "userId": "usr_%032x" % (i + 1)})
    if i % 100 == 0:  # 1% changed
        role = "Radiologist" if i % 200 == 0 else role
        last = last if i % 200 == 0 else f"Married{i}"
    rows.append([email, f"First{i}", last, role, "member", "false", "true"])
json.dump(seed, open(sys.argv[2], "w"))
with open(sys.argv[3], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["email", "first_name", "last_name", "clinic_role", "level", "can_manage_studies",
                "has_dashboard_access"])
    w.writerows(rows)
EOF

"$bin" mock-server --listen 127.0.0.1:0 --write-ca "$tmp/ca.pem" --seed-users "$tmp/seed.json" \
    >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
for _ in $(seq 600); do
    [[ -s $tmp/server.out ]] && break
    sleep 0.1
done
base="https://$(head -n1 "$tmp/server.out")"
export AVARA_API_KEY=bench

measure() {  # LABEL ARGS...
    local label=$1
    shift
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$bin" sync "$tmp/roster.csv" --report "$tmp/report.csv" \
        --base-url "$base" --ca-file "$tmp/ca.pem" --rate 0 --concurrency 16 -q "$@" >"$tmp/out" 2>"$tmp/err" || true
    read -r wall rss_kb <"$tmp/time"
    printf '%-28s %8.2f s %8.1f MB   %s\n' "$label" "$wall" "$(echo "$rss_kb / 1024" | bc -l)" \
        "$(tail -n1 "$tmp/out")"
}
echo "== sync of $users users against $users rows, 1% changed"
measure "listing + diff (--plan)" --plan
measure "apply (1% of the rows)"
echo "   (the listing is $(( (users + 99) / 100 )) pages of 100)"
