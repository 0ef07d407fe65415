#!/usr/bin/env bash
# Builds the Debian package from this build tree with CPack, lints it, unpacks it with dpkg-deb -x
# into a temp folder and uses what it holds: the binary's --version and demo, the man page through
# man -l, the bash completion, and the systemd units through systemd-analyze verify.
#   usage: package.sh BINARY SOURCE_DIR BUILD_DIR
set -uo pipefail
BUILD=${3:?usage: package.sh BINARY SOURCE_DIR BUILD_DIR}
source "$(dirname "$0")/../cli/lib.bash"

for tool in cpack dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || { fail "$tool is missing (scripts/install-deps.sh installs it)"; finish; exit 1; }
done

# 1. Build the package (CPack's own staging folder; the build tree's binary and man page).
if cpack -G DEB -B "$WORK/pkg" --config "$BUILD/CPackConfig.cmake" >"$WORK/cpack.log" 2>&1; then pass; else
    fail "cpack failed"
    tail -20 "$WORK/cpack.log" >&2
fi
deb=$(ls "$WORK"/pkg/avara-onboard_*.deb 2>/dev/null | head -1)
[[ -f $deb ]] && pass || { fail "no .deb in $WORK/pkg"; finish; exit 1; }
echo "package: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB"

# 2. Its control data: the name, and dependencies found by dpkg-shlibdeps.
dpkg-deb -f "$deb" Package >"$WORK/name"
expect_contains "$WORK/name" "avara-onboard"
dpkg-deb -f "$deb" Depends >"$WORK/depends"
echo "Depends: $(cat "$WORK/depends")"
for lib in libssl3 libboost-json1.81.0 libtomlplusplus3 libsimdjson14 libc6 libstdc++6 ca-certificates; do
    expect_contains "$WORK/depends" "$lib"
done

# 3. lintian: no errors (warnings are printed for the record).
if command -v lintian >/dev/null; then
    lintian --tag-display-limit 0 "$deb" >"$WORK/lintian" 2>&1
    sed 's/^/lintian: /' "$WORK/lintian"
    if grep -q '^E:' "$WORK/lintian"; then fail "lintian reports errors"; else pass; fi
else
    echo "SKIP: lintian is not installed (scripts/install-deps.sh installs it)"
fi

# 4. What it installs, where Debian expects it.
root=$WORK/root
dpkg-deb -x "$deb" "$root" && pass || fail "dpkg-deb -x failed"
for f in usr/bin/avara-onboard usr/share/man/man1/avara-onboard.1.gz \
    usr/share/bash-completion/completions/avara-onboard usr/share/zsh/vendor-completions/_avara-onboard \
    usr/share/doc/avara-onboard/copyright usr/share/doc/avara-onboard/changelog.gz \
    usr/share/doc/avara-onboard/commands.md usr/share/doc/avara-onboard/troubleshooting.md \
    usr/share/doc/avara-onboard/examples/hr-export.toml usr/share/doc/avara-onboard/examples/roster.csv \
    lib/systemd/system/avara-onboard@.service lib/systemd/system/avara-onboard@.timer \
    lib/sysusers.d/avara-onboard.conf; do
    if [[ -e $root/$f || -e $root/usr/$f ]]; then pass; else fail "the package lacks /$f"; fi
done

# 5. The packaged binary runs: --version, and demo end to end against its in-process mock server.
bin=$root/usr/bin/avara-onboard
run 0 -- "$bin" --version && expect_contains "$WORK/out" "avara-onboard "
if "$bin" demo --report "$WORK/demo.report.csv" -q >"$WORK/demo.out" 2>&1; then pass; else
    fail "the packaged demo failed"
    tail -5 "$WORK/demo.out" >&2
fi
expect_contains "$WORK/demo.report.csv" "invited"

# 6. The man page renders without a groff warning.
man_page=$root/usr/share/man/man1/avara-onboard.1.gz
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man_page" >"$WORK/man.txt" 2>"$WORK/man.err"
expect_eq "$(wc -c <"$WORK/man.err" | tr -d ' ')" 0 "man --warnings -l printed warnings: $(head -3 "$WORK/man.err")"
expect_contains "$WORK/man.txt" "EXIT STATUS"
expect_contains "$WORK/man.txt" "--resume"

# 7. The bash completion completes subcommands and enumerated values.
comp=$root/usr/share/bash-completion/completions/avara-onboard
words=$(bash -c "source '$comp'; COMP_WORDS=(avara-onboard va); COMP_CWORD=1; _avara_onboard; echo \${COMPREPLY[*]}")
expect_eq "$words" "validate" "completion of 'avara-onboard va'"
words=$(bash -c "source '$comp'; COMP_WORDS=(avara-onboard run x.csv --report-format ''); COMP_CWORD=4; _avara_onboard; echo \${COMPREPLY[*]}")
expect_eq "$words" "csv jsonl" "completion of --report-format"
if command -v zsh >/dev/null; then
    zdir=$root/usr/share/zsh/vendor-completions
    zsh -n "$zdir/_avara-onboard" && pass || fail "zsh -n rejects the zsh completion"
    zcomplete() { zsh -f "$(dirname "$0")/zsh_complete.zsh" "$zdir" "$1" | tr '\n' ' ' | sed 's/ $//'; }
    expect_eq "$(zcomplete 'avara-onboard va')" "validate" "zsh completion of 'avara-onboard va'"
    expect_eq "$(zcomplete 'avara-onboard run x.csv --report-format ')" "csv jsonl" "zsh completion of --report-format"
    expect_eq "$(zcomplete 'avara-onboard validate x.csv --log-format ')" "json text" "zsh completion of --log-format"
    expect_eq "$(zcomplete 'avara-onboard mock-server --thr')" "--threads --throttle-rate" "zsh completion of mock-server --thr"
else
    echo "SKIP: zsh is not installed: the zsh completion was not tried"
fi

# 8. The units: systemd-analyze verify against the unpacked tree (the binary and man page are there).
if command -v systemd-analyze >/dev/null; then
    units=$root/lib/systemd/system
    [[ -d $units ]] || units=$root/usr/lib/systemd/system
    mkdir -p "$WORK/units"
    # An instance of each template, as `systemctl start avara-onboard@northside` would load it.
    cp "$units/avara-onboard@.service" "$WORK/units/avara-onboard@northside.service"
    cp "$units/avara-onboard@.timer" "$WORK/units/avara-onboard@northside.timer"
    # verify looks the ExecStart binary up on this machine: point it at the packaged one.
    sed -i "s#/usr/bin/avara-onboard#$bin#" "$WORK/units/avara-onboard@northside.service"
    if SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$WORK/units/avara-onboard@northside.service" \
        "$WORK/units/avara-onboard@northside.timer" >"$WORK/verify" 2>&1; then pass; else
        fail "systemd-analyze verify failed"
    fi
    sed 's/^/systemd-analyze: /' "$WORK/verify"
    if grep -v -e 'Failed to prepare filename' -e '^$' "$WORK/verify" | grep -qi -e 'unknown' -e 'invalid' \
        -e 'ignoring' -e 'failed'; then fail "systemd-analyze verify complained"; else pass; fi
    for key in ProtectSystem=strict ReadWritePaths=/var/lib/avara-onboard/%i LoadCredential=api-key: \
        "--api-key-file %d/api-key" --resume User=avara-onboard; do
        expect_contains "$units/avara-onboard@.service" "$key"
    done
else
    echo "SKIP: systemd-analyze is not installed"
fi
finish
