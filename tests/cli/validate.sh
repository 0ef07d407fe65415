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

# What HR systems really export.
# A German Excel export: `;`-separated, Windows-1252. Without --encoding every accented row says what
# its bytes read as, and one warning says what to do; with it, the rows are valid.
run 1 -- "$BIN" validate "$SRC/samples/hr-export-de.csv" --config "$SRC/config/hr-export-de.toml" --report "$WORK/de.csv"
expect_eq "$(count_status "$WORK/de.csv" invalid)" 8 "Windows-1252 read as UTF-8: every row invalid"
expect_contains "$WORK/de.csv" "1,2,j.mueller@klinik-nord.de,invalid,,,0,\"invalid UTF-8 in firstName ('J\\xfcrgen' reads as 'Jürgen' in Windows-1252), lastName ('M\\xfcller' reads as 'Müller' in Windows-1252)\""
expect_eq "$(grep -c 'reads as Windows-1252' "$WORK/err")" 1 "one warning for the whole file"
expect_contains "$WORK/err" "read it with --encoding windows-1252"
run 1 -- "$BIN" validate "$SRC/samples/hr-export-de.csv" --config "$SRC/config/hr-export-de.toml" --encoding windows-1252 \
    --report "$WORK/de.csv" --payloads "$WORK/de.jsonl"
expect_eq "$(count_status "$WORK/de.csv" valid)" 7 "cp1252 export valid rows"
expect_contains "$WORK/de.csv" "8,9,e.jaeger@klinik-nord.de,invalid,,,0,\"clinicRole: 'Hausmeister' is not a clinic role"
expect_contains "$WORK/de.jsonl" '"email":"j.mueller@klinik-nord.de","firstName":"Jürgen","lastName":"Müller","clinicRole":"Physician"'
expect_contains "$WORK/de.jsonl" '"lastName":"König; Dr.","clinicRole":"Psychiatrist"'
expect_contains "$WORK/de.jsonl" '"clinicRole":"IT Administrator","level":"admin"'
expect_not_contains "$WORK/err" "Windows-1252"
# The config key does the same as the flag; --delimiter forces a separator.
{ printf 'encoding = "cp1252"\n'; cat "$SRC/config/hr-export-de.toml"; } >"$WORK/de.toml"
run 1 -- "$BIN" validate "$SRC/samples/hr-export-de.csv" --config "$WORK/de.toml" --report "$WORK/de2.csv"
expect_eq "$(count_status "$WORK/de2.csv" valid)" 7 "encoding from the config"
run 2 -- "$BIN" validate "$SRC/samples/hr-export-de.csv" --config "$WORK/de.toml" --delimiter , --report "$WORK/de3.csv"
expect_contains "$WORK/err" "missing required column(s): email (configured as 'E-Mail')"
run 2 -- "$BIN" validate "$SRC/samples/hr-export-de.csv" --delimiter : --report "$WORK/de3.csv"
expect_contains "$WORK/err" "--delimiter must be one of , ; tab |, not ':'"
run 2 -- "$BIN" validate "$SRC/samples/hr-export-de.csv" --encoding klingon --report "$WORK/de3.csv"
expect_contains "$WORK/err" "unknown encoding 'klingon'"

# Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated.
run 1 -- "$BIN" validate "$SRC/samples/unicode-text.txt" --report "$WORK/u16.csv" --payloads "$WORK/u16.jsonl"
expect_eq "$(count_status "$WORK/u16.csv" valid)" 6 "UTF-16 valid rows"
expect_contains "$WORK/u16.csv" "7,8,bad-email.harbor-health.org,invalid,,,0,email: must contain exactly one '@'"
expect_contains "$WORK/u16.jsonl" '"firstName":"芳","lastName":"王","clinicRole":"Pharmacist"'
expect_contains "$WORK/u16.jsonl" '"firstName":"Siobhán","lastName":"O'"'"'Brien","clinicRole":"Pathologists'"'"' Assistant"'
# The same file big-endian, through a pipe (no seeking), and `|`-separated UTF-8.
python3 -c 'import sys; d=open(sys.argv[1],"rb").read()[2:].decode("utf-16-le"); sys.stdout.buffer.write(b"\xfe\xff"+d.encode("utf-16-be"))' \
    "$SRC/samples/unicode-text.txt" >"$WORK/u16be.txt"
run 1 -- "$BIN" validate - --report "$WORK/u16be.csv" <"$WORK/u16be.txt"
expect_eq "$(cat "$WORK/u16be.csv")" "$(cat "$WORK/u16.csv")" "UTF-16 BE from standard input reads the same"
printf 'email|first_name|last_name|clinic_role|level|can_manage_studies|has_dashboard_access\na@b.org|"A|B"|C|IT Support|member|1|1\nx|y\n' >"$WORK/pipe.csv"
run 1 -- "$BIN" validate "$WORK/pipe.csv"
expect_contains "$WORK/pipe.report.csv" "1,2,a@b.org,valid"
expect_contains "$WORK/pipe.report.csv" "2,3,x,invalid,,,0,has 2 columns but the header has 7"

# An .xlsx saved by LibreOffice Calc (samples/README.md), by content whatever its name, and from a pipe.
run 1 -- "$BIN" validate "$SRC/samples/bayview-staff.xlsx" --config "$SRC/config/bayview-staff.toml" \
    --report "$WORK/x.csv" --payloads "$WORK/x.jsonl"
expect_eq "$(count_status "$WORK/x.csv" valid)" 4 "xlsx valid rows"
expect_contains "$WORK/x.csv" "5,6,g.silva@bayview-imaging.org,invalid,,,0,lastName in column C (Surname): is required"
expect_contains "$WORK/x.csv" "6,7,h.ito@bayview-imaging.org,duplicate,,,0,duplicate of row 1 (same email)"
expect_contains "$WORK/x.jsonl" '"clinicRole":"Radiologist","level":"admin","canManageStudies":true,"hasDashboardAccess":true,"phoneNumber":"5551234567"'
expect_contains "$WORK/x.jsonl" '"phoneNumber":"15552345678"'
cp "$SRC/samples/bayview-staff.xlsx" "$WORK/looks-like.csv"
run 1 -- "$BIN" validate "$WORK/looks-like.csv" --config "$SRC/config/bayview-staff.toml" --sheet bayview-staff
expect_eq "$(cat "$WORK/looks-like.report.csv")" "$(cat "$WORK/x.csv")" "a workbook named .csv"
run 1 -- "$BIN" validate - --config "$SRC/config/bayview-staff.toml" --report "$WORK/x2.csv" <"$SRC/samples/bayview-staff.xlsx"
expect_eq "$(cat "$WORK/x2.csv")" "$(cat "$WORK/x.csv")" "a workbook from standard input"
run 1 -- "$BIN" validate "$SRC/samples/bayview-staff.xlsx" --config "$SRC/config/bayview-staff.toml" --delimiter ';' --report "$WORK/x3.csv"
expect_contains "$WORK/err" "is an .xlsx workbook: --delimiter and --encoding do not apply to it"
run 1 -- "$BIN" validate "$SRC/samples/unicode-text.txt" --sheet Staff --report "$WORK/u3.csv"
expect_contains "$WORK/err" "is not an .xlsx workbook: --sheet does not apply to it"
run 2 -- "$BIN" validate "$SRC/samples/bayview-staff.xlsx" --sheet Payroll --report "$WORK/x3.csv"
expect_contains "$WORK/err" "the workbook has no sheet 'Payroll' (its sheets: 'bayview-staff')"

# Standard input: a CSV through a pipe; no --report is a usage error.
run 1 -- "$BIN" validate - --report "$WORK/stdin.csv" <"$SRC/samples/roster.csv"
expect_eq "$(count_status "$WORK/stdin.csv" valid)" 29 "roster from standard input"
run 2 -- "$BIN" validate - <"$SRC/samples/roster.csv"
expect_contains "$WORK/err" "standard input (-) needs --report PATH"

# Files that are no roster are refused before anything is read, saying what they look like.
printf '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0\0\0\0\0' >"$WORK/old.xls"
run 2 -- "$BIN" validate "$WORK/old.xls"
expect_contains "$WORK/err" "old.xls: looks like an old Excel .xls workbook; save it as .xlsx or CSV"
printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n' >"$WORK/scan.pdf"
run 2 -- "$BIN" validate "$WORK/scan.pdf"
expect_contains "$WORK/err" "scan.pdf: looks like a PDF document"
run 2 -- "$BIN" validate "$WORK/garbage.csv"
expect_contains "$WORK/err" "garbage.csv: looks like a binary file"
printf 'PK\x03\x04broken' >"$WORK/bad-zip.xlsx"
run 2 -- "$BIN" validate "$WORK/bad-zip.xlsx"
expect_contains "$WORK/err" "bad-zip.xlsx: starts like a zip archive (an .xlsx workbook) but cannot be read as one"
expect_eq "$(ls "$WORK" | grep -c '^\(old\|scan\|bad-zip\|garbage\).report.csv$')" 0 "no report for a refused file"

# Today's clinic roles, and a config's own.
printf '%s\na@b.org,A,B,Oncologist,member,1,1\nb@b.org,B,C,SPEECH_LANGUAGE_PATHOLOGIST,member,1,1\nc@b.org,C,D,Chaplain,member,1,1\n' "$GOOD_HEADER" >"$WORK/roles.csv"
run 1 -- "$BIN" validate "$WORK/roles.csv" --payloads "$WORK/roles.jsonl"
expect_contains "$WORK/roles.report.csv" "3,4,c@b.org,invalid,,,0,\"clinicRole: 'Chaplain' is not a clinic role"
expect_contains "$WORK/roles.jsonl" '"clinicRole":"Speech-Language Pathologist"'
printf '[schema]\nclinic-roles = ["Chaplain"]\n' >"$WORK/roles.toml"
run 0 -- "$BIN" validate "$WORK/roles.csv" --config "$WORK/roles.toml" --payloads "$WORK/roles.jsonl"
expect_contains "$WORK/roles.jsonl" '"email":"c@b.org","firstName":"C","lastName":"D","clinicRole":"Chaplain"'

# Help and version.
run 0 -- "$BIN" --help
expect_contains "$WORK/out" "validate"
run 0 -- "$BIN" validate --help
expect_contains "$WORK/out" "--payloads"
expect_contains "$WORK/out" "--delimiter"
expect_contains "$WORK/out" "--encoding"
expect_contains "$WORK/out" "--sheet"
run 0 -- "$BIN" --version
expect_contains "$WORK/out" "avara-onboard "
run 2 -- "$BIN"

finish
