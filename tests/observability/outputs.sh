#!/usr/bin/env bash
# The outputs that watch a job or show it to people, end to end through the real binary:
#  - --log-format json: every stderr line is one JSON object with time, level and message; the API
#    key is in none of them;
#  - --metrics-file: promtool (Debian's prometheus) accepts the file; labels and figures are right;
#  - --html-report: mode 0600, every roster value escaped, and headless Chromium renders it: the
#    screenshot has the window's size and is not blank, the DOM holds the counts.
# Tools that are missing are skipped with a message (scripts/install-deps.sh installs them).
#   usage: outputs.sh BINARY SOURCE_DIR
set -uo pipefail
source "$(dirname "$0")/../cli/lib.bash"
PY=/usr/bin/python3

# A roster whose values are markup: they must come out as text.
cat >"$WORK/evil.csv" <<'CSV'
email,first_name,last_name,clinic_role,level,can_manage_studies,has_dashboard_access
ok@x.org,Ann,Lee,Radiologist,member,true,true
<script>alert(1)</script>@x.org,<script>alert(2)</script>,Doe,Radiologist,owner,true,true
bob@x.org,Bob,"<img src=x onerror=alert(3)>",<script>alert(4)</script>,member,true,true
ok@x.org,Ann,Lee,Radiologist,member,true,true
CSV

# --- validate: HTML page and JSON logs -------------------------------------------------------
run 1 -- "$BIN" validate "$WORK/evil.csv" --html-report "$WORK/evil.html" --log-format json
expect_eq "$(stat -c %a "$WORK/evil.html")" 600 "mode of the HTML page"
expect_contains "$WORK/evil.html" "&lt;script&gt;alert(1)&lt;/script&gt;@x.org"
expect_contains "$WORK/evil.html" "&lt;script&gt;alert(4)&lt;/script&gt;"
expect_eq "$(grep -o '<script' "$WORK/evil.html" | wc -l | tr -d ' ')" 1 "script elements in the page (ours only)"
expect_not_contains "$WORK/evil.html" "<img"
expect_not_contains "$WORK/evil.html" "http://"
expect_not_contains "$WORK/evil.html" "https://"
# Every stderr line is a JSON object with time, level, message.
check_json_lines() {  # file
    if "$PY" - "$1" <<'PYTHON'; then pass; else fail "stderr lines are not all JSON log objects: $1"; fi
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines, "no log line"
for line in lines:
    o = json.loads(line)
    assert {"time", "level", "message"} <= o.keys(), line
    assert o["time"].endswith("Z") and "T" in o["time"], line
    assert o["level"] in ("error", "warning", "info", "debug"), line
PYTHON
}
check_json_lines "$WORK/err"
# A line about one row carries the row's fields beside its message.
run 1 -- "$BIN" validate "$WORK/evil.csv" --report "$WORK/evil2.csv" --log-format json -v
check_json_lines "$WORK/err"
expect_contains "$WORK/err" '"row":4,"email":"ok@x.org","status":"duplicate"}'
run 2 -- "$BIN" validate "$WORK/evil.csv" --log-format yaml
expect_contains "$WORK/err" "--log-format must be text or json, not 'yaml'"
run 2 -- "$BIN" validate "$WORK/evil.csv" --html-report "$WORK/no/such/folder/x.html"

# --- run against the mock server: metrics, JSON logs, the key nowhere ----------------------
"$BIN" mock-server --listen 127.0.0.1:0 --write-ca "$WORK/ca.pem" >"$WORK/mock.out" 2>"$WORK/mock.err" &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do [[ -s $WORK/mock.out ]] && break; sleep 0.1; done
address=$(head -1 "$WORK/mock.out")
address=${address#*//}
key=obs-secret-key-4242
cp "$SRC/samples/roster.csv" "$WORK/northside.csv"
# The metrics folder does not exist: refused before anything is sent.
AVARA_API_KEY=$key run 2 -- "$BIN" run "$WORK/northside.csv" --base-url "https://$address" --ca-file "$WORK/ca.pem" \
    --metrics-file "$WORK/metrics/avara.prom" --html-report "$WORK/run.html" --log-format json --rate 0 -v
expect_contains "$WORK/err" "metrics"
mkdir -p "$WORK/metrics"
AVARA_API_KEY=$key run 1 -- "$BIN" run "$WORK/northside.csv" --base-url "https://$address" --ca-file "$WORK/ca.pem" \
    --metrics-file "$WORK/metrics/avara.prom" --html-report "$WORK/run.html" --log-format json --rate 0 -v
check_json_lines "$WORK/err"
expect_not_contains "$WORK/err" "$key"
expect_not_contains "$WORK/metrics/avara.prom" "$key"
expect_not_contains "$WORK/run.html" "$key"
prom=$WORK/metrics/avara.prom
expect_eq "$(stat -c %a "$prom")" 644 "mode of the metrics file (node_exporter reads it as another user)"
expect_eq "$(ls "$WORK/metrics" | wc -l | tr -d ' ')" 1 "files in the metrics folder (no temporary left)"
expect_contains "$prom" 'avara_onboard_rows{roster="northside",command="run",status="invited"} 29'
expect_contains "$prom" 'avara_onboard_rows{roster="northside",command="run",status="invalid"} 7'
expect_contains "$prom" 'avara_onboard_exit_code{roster="northside",command="run"} 1'
expect_contains "$prom" 'avara_onboard_requests{roster="northside",command="run"} 29'
expect_contains "$prom" 'avara_onboard_running{roster="northside",command="run"} 0'
if command -v promtool >/dev/null; then
    if promtool check metrics <"$prom" >"$WORK/promtool" 2>&1; then pass; else
        fail "promtool check metrics: $(cat "$WORK/promtool")"
    fi
    echo "promtool check metrics: $(wc -l <"$WORK/promtool" | tr -d ' ') line(s) of findings"
else
    echo "SKIP: promtool is not installed (Debian package prometheus)"
fi
# A config names the label.
printf 'rate = 0\n' >"$WORK/southside.toml"
AVARA_API_KEY=$key run 1 -- "$BIN" run "$WORK/northside.csv" --base-url "https://$address" --ca-file "$WORK/ca.pem" \
    --config "$WORK/southside.toml" --metrics-file "$prom" -q --resume
expect_contains "$prom" 'avara_onboard_rows{roster="southside",command="run",status="invited"} 29'

# --- the page in a real browser ----------------------------------------------------------------
chromium=$(command -v chromium || true)
if [[ -z $chromium ]]; then
    echo "SKIP: chromium is not installed: the HTML page was checked as text only"
    finish
    exit $?
fi
browse() {  # url, extra flags...
    local url=$1
    shift
    timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$WORK/chrome-XXXXXX")" "$@" "$url" 2>>"$WORK/chrome.err"
}
browse "file://$WORK/run.html" --window-size=1200,900 --screenshot="$WORK/run.png" >/dev/null
if [[ -f $WORK/run.png ]]; then pass; else fail "chromium wrote no screenshot"; tail -5 "$WORK/chrome.err" >&2; fi
# The PNG's size from its header, and whether it is more than one colour.
if "$PY" - "$WORK/run.png" <<'PYTHON'; then pass; else fail "the screenshot is not 1200x900 or is blank"; fi
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (1200, 900), (width, height)
pos, idat = 8, b""
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + length]
    pos += 12 + length
pixels = zlib.decompress(idat)
distinct = len(set(pixels))
assert distinct > 32, f"only {distinct} distinct byte values: blank"
PYTHON
browse "file://$WORK/run.html" --dump-dom >"$WORK/run.dom"
expect_contains "$WORK/run.dom" '<span id="total">37</span>'
expect_contains "$WORK/run.dom" '<li data-status="invited" style="--c:#2e7d32"><span class="count">29</span>'
expect_contains "$WORK/run.dom" '<li data-status="invalid" style="--c:#ef6c00"><span class="count">7</span>'
expect_contains "$WORK/run.dom" 'Rows that need a human (8)'
# The script ran (it fills the "shown" count only when filtering; its click handlers are attached):
# the page's own rows are all there, in row order.
expect_eq "$(grep -o '<tr data-status=' "$WORK/run.dom" | wc -l | tr -d ' ')" 8 "rows listed in the DOM"
# The page's script filters and sorts: a view in the link (#status=...&sort=-row, #q=...) is applied
# on load, as the buttons and headings would, and the DOM shows the result.
browse "file://$WORK/run.html#status=invalid&sort=-row" --dump-dom >"$WORK/view.dom"
grep -oE '<tr data-status="[a-z]+"[^>]*><td>[0-9]+' "$WORK/view.dom" >"$WORK/view.rows"
expect_eq "$(grep -c 'hidden' "$WORK/view.rows")" 1 "rows hidden by the status filter (the duplicate)"
expect_eq "$(grep -v hidden "$WORK/view.rows" | grep -oE '[0-9]+$' | tr '\n' ' ')" "35 33 32 31 30 29 28 " \
    "invalid rows, sorted by row, descending"
browse "file://$WORK/run.html#q=chloe.wright" --dump-dom >"$WORK/query.dom"
expect_eq "$(grep -oE '<tr data-status="[a-z]+"[^>]*>' "$WORK/query.dom" | grep -vc hidden)" 1 "rows left by the text filter"
expect_contains "$WORK/query.dom" '<span id="shown">1</span>'
browse "file://$WORK/evil.html" --dump-dom >"$WORK/evil.dom"
expect_contains "$WORK/evil.dom" "&lt;script&gt;alert(1)&lt;/script&gt;@x.org"
expect_eq "$(grep -o '<script' "$WORK/evil.dom" | wc -l | tr -d ' ')" 1 "script elements in the rendered DOM"
expect_not_contains "$WORK/evil.dom" "<img"
finish
