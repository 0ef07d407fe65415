#!/usr/bin/env bash
# `avara-onboard validate` driven like a user would: real files, the contract's exit codes and report.
source "$(dirname "$0")/lib.bash"

HEADER='row,line,email,status,http_status,user_id,attempts,error'
GOOD_HEADER='email,first_name,last_name,clinic_role,level,can_manage_studies,has_dashboard_access'

# The sample roster: some rows have problems a real export has.
cp "$SRC/samples/roster.csv" "$WORK/roster.csv"
run 1 -- "$BIN" validate "$WORK/roster.csv" --summary "$WORK/summary.json" --payloads "$WORK/payloads.jsonl"
REPORT="$WORK/roster.report.csv"
expect_eq "$(head -1 "$REPORT")" "$HEADER" "report header"
expect_eq "$(($(wc -l <"$REPORT") - 1))" 37 "one report line per data row (blank line skipped)"
expect_eq "$(count_status "$REPORT" duplicate)" 1 "duplicates"
expect_eq "$(count_status "$REPORT" invalid)" 7 "invalid rows"
expect_eq "$(count_status "$REPORT" valid)" 29 "valid rows"
expect_eq "$(wc -l <"$WORK/payloads.jsonl" | tr -d ' ')" 29 "one payload per valid row"
expect_eq "$(stat -c %a "$REPORT")" 600 "report mode"
expect_eq "$(stat -c %a "$WORK/payloads.jsonl")" 600 "payloads mode"
expect_eq "$(stat -c %a "$WORK/summary.json")" 600 "summary mode"
expect_contains "$REPORT" '34,35,sarah.johnson@northside-clinic.org,duplicate,,,0,duplicate of row 1 (same email)'
expect_contains "$REPORT" "level: owner cannot be invited via the API"
expect_contains "$REPORT" "hasDashboardAccess: must be true when level is admin"
expect_contains "$REPORT" "36,38,daniel.ramirez@northside-clinic.org,valid,,,0,"
expect_contains "$WORK/payloads.jsonl" '"clinicRole":"Physician Assistant"'
expect_contains "$WORK/payloads.jsonl" '"phoneNumber":"15551234567"'
expect_contains "$WORK/summary.json" '"counts":{"valid":29,"invalid":7,"duplicate":1}'
expect_contains "$WORK/err" "37 rows: 29 valid, 7 invalid, 1 duplicate"
expect_contains "$WORK/err" "ignoring column(s) that map to no field: department"

# All valid -> 0; JSONL report; BOM and CRLF.
printf '\xef\xbb\xbf%s\r\na@b.org,A,B,Doctor,member,1,1\r\n"b@b.org","B, Jr.",C,Doctor,admin,1,1\r\n' "$GOOD_HEADER" >"$WORK/ok.csv"
run 0 -- "$BIN" validate "$WORK/ok.csv" --report "$WORK/ok.jsonl" --report-format jsonl
expect_eq "$(wc -l <"$WORK/ok.jsonl" | tr -d ' ')" 2 "jsonl lines"
expect_contains "$WORK/ok.jsonl" '{"row":2,"line":3,"email":"b@b.org","status":"valid","http_status":null,"user_id":null,"attempts":0,"error":null}'

# --report-format jsonl keeps the contract's one default path.
run 0 -- "$BIN" validate "$WORK/ok.csv" --report-format jsonl
expect_contains "$WORK/ok.report.csv" '{"row":1,"line":2,"email":"a@b.org","status":"valid"'

# A quoted field spanning lines keeps line numbers right.
printf '%s\na@b.org,"Ann\nMarie",B,Doctor,member,1,1\nc@b.org,C,D,Doctor,member,1,1\n' "$GOOD_HEADER" >"$WORK/multi.csv"
run 0 -- "$BIN" validate "$WORK/multi.csv"
expect_contains "$WORK/multi.report.csv" "2,4,c@b.org,valid"

# Broken records are reported with their line, and reading goes on.
printf '%s\na@b.org,"unterminated,B,Doctor,member,1,1\nc@b.org,C,D,Doctor,member,1,1\nx,y\n' "$GOOD_HEADER" >"$WORK/broken.csv"
run 1 -- "$BIN" validate "$WORK/broken.csv"
expect_contains "$WORK/broken.report.csv" "1,2,,invalid,,,0,unterminated quoted field (opened on line 2)"
expect_contains "$WORK/broken.report.csv" "unterminated quoted field"
expect_contains "$WORK/broken.report.csv" "2,3,c@b.org,valid"
expect_contains "$WORK/broken.report.csv" "3,4,x,invalid,,,0,has 2 columns but the header has 7"

# Formula cells are neutralised.
printf '%s\n=cmd@evil.org,A,B,Doctor,member,1,1\n' "$GOOD_HEADER" >"$WORK/formula.csv"
run 0 -- "$BIN" validate "$WORK/formula.csv"
expect_contains "$WORK/formula.report.csv" "\"'=cmd@evil.org\",valid"

# Input errors: exit 2 with a one-line message naming the problem.
run 2 -- "$BIN" validate "$WORK/nope.csv"
expect_contains "$WORK/err" "nope.csv"
: >"$WORK/empty.csv"
run 2 -- "$BIN" validate "$WORK/empty.csv"
expect_contains "$WORK/err" "empty"
printf 'email,first_name,last_name\na@b.org,A,B\n' >"$WORK/cols.csv"
run 2 -- "$BIN" validate "$WORK/cols.csv"
expect_contains "$WORK/err" "missing required column(s): clinicRole, level, canManageStudies, hasDashboardAccess"
head -c 4096 /dev/urandom >"$WORK/garbage.csv"
run 2 -- "$BIN" validate "$WORK/garbage.csv"
run 2 -- "$BIN" validate "$WORK/ok.csv" --report-format xml
expect_contains "$WORK/err" "--report-format must be csv or jsonl"
run 2 -- "$BIN" validate "$WORK/ok.csv" --report "$WORK/ok.csv"
expect_contains "$WORK/err" "is the roster itself"
expect_eq "$(head -c 3 "$WORK/ok.csv" | od -An -tx1 | tr -d ' ')" "efbbbf" "roster untouched"
run 2 -- "$BIN" validate "$WORK"
run 2 -- "$BIN" validate
run 2 -- "$BIN" validate "$WORK/ok.csv" --no-such-flag

# Config: headers and vocabulary of an HR export.
run 1 -- "$BIN" validate "$SRC/samples/hr-export.csv" --config "$SRC/config/hr-export.toml" \
    --report "$WORK/hr.csv" --payloads "$WORK/hr.jsonl"
expect_eq "$(count_status "$WORK/hr.csv" valid)" 4 "hr-export valid rows"
expect_contains "$WORK/hr.jsonl" '"email":"rn.alvarez@lakeside-imaging.org","firstName":"Maria","lastName":"Alvarez","clinicRole":"Registered Nurse","level":"member"'
expect_contains "$WORK/hr.csv" "hasDashboardAccess: must be true when level is admin"
printf 'concurency = 3\n' >"$WORK/bad.toml"
run 2 -- "$BIN" validate "$WORK/ok.csv" --config "$WORK/bad.toml"
expect_contains "$WORK/err" "bad.toml:1: unknown key 'concurency'"

# Help and version.
run 0 -- "$BIN" --help
expect_contains "$WORK/out" "validate"
run 0 -- "$BIN" validate --help
expect_contains "$WORK/out" "--payloads"
run 0 -- "$BIN" --version
expect_contains "$WORK/out" "avara-onboard "
run 2 -- "$BIN"

finish
