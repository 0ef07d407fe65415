#!/usr/bin/env bash
# The one source of truth for options is the program's own --help: this suite reads it at test time
# and checks that the user documentation (docs/commands.md), the man page (docs/avara-onboard.1.scd),
# the config reference (docs/config.md) and both shell completions name exactly those options,
# command by command. Options that the contract announces but this build does not have yet are in
# `pending` below: documented, reported here, not failed; once one is in --help it is checked like
# any other.
#   usage: help_agreement.sh BINARY SOURCE_DIR
set -uo pipefail
source "$(dirname "$0")/../cli/lib.bash"

# command -> options announced by the contract that may not be in this build yet
declare -A pending=(
    [run]="--delimiter --encoding --sheet"
    [validate]="--delimiter --encoding --sheet"
    [mock-server]="--rate-limit-burst --blocked-seconds --blocked-retry-after --seed-users"
)
commands_doc=$SRC/docs/commands.md
man_src=$SRC/docs/avara-onboard.1.scd
bash_completion=$SRC/contrib/completion/avara-onboard.bash
zsh_completion=$SRC/contrib/completion/_avara-onboard

# The subcommands listed by `avara-onboard --help`.
help_commands() {
    "$BIN" --help | awk '/^Subcommands:/ {on = 1; next} on && /^$/ {exit} on && /^  [a-z]/ {print $1}'
}
# The options of one subcommand's --help: the flag names at the start of each option line.
help_flags() {
    "$BIN" "$1" --help | grep -E '^  -' | sed -E 's/^  (-[a-zA-Z0-9],)?(--[a-z0-9-]+).*/\1 \2/' |
        tr ', ' '\n\n' | grep -E '^-' | sort -u
}
# Option names in the first column of the option table under "## `avara-onboard CMD`".
doc_flags() {
    awk -v h="## \`avara-onboard $1\`" '$0 == h {on = 1; next} on && /^## / {exit} on && /^\| `-/' \
        "$commands_doc" | cut -d'|' -f2 | grep -oE '(^|[ `])--?[a-zA-Z0-9][a-z0-9-]*' | tr -d ' `' | sort -u
}
# Option lines (`*--flag*`) under "# CMD OPTIONS" in the man page source.
man_flags() {
    local title
    title="# $(tr '[:lower:]' '[:upper:]' <<<"$1") OPTIONS"
    awk -v h="$title" '$0 == h {on = 1; next} on && /^# / {exit} on && /^\*-/' "$man_src" |
        grep -oE '\*--?[a-zA-Z0-9][a-z0-9-]*' | tr -d '*' | sort -u
}
# What the bash completion offers after `avara-onboard CMD -`: its own function, run for real.
bash_flags() {
    bash -c "source '$bash_completion'; _avara_onboard_flags '$1'" | tr ' ' '\n' | grep -E '^-' | sort -u
}
# The zsh completion's option specs: the array _avara_onboard_CMD=( ... ), with the arrays it
# includes ($_avara_onboard_common) expanded.
zsh_array() {
    local body
    body=$(awk -v h="$1=(" '$0 == h {on = 1; next} on && /^\)/ {exit} on' "$zsh_completion")
    grep -oE '^ *\$_avara_onboard_[a-z_]+' <<<"$body" | tr -d ' $' | while read -r inner; do zsh_array "$inner"; done
    grep -oE "^ *'(\\([^)]*\\)')?\\{?-[-a-zA-Z0-9,]*" <<<"$body" | sed -E "s/^ *'(\\([^)]*\\)')?//; s/[{}]//g" |
        tr ',' '\n' | grep -E '^-'
}
zsh_flags() {
    zsh_array "_avara_onboard_${1//-/_}" | sort -u
}
is_pending() {  # command flag
    [[ " $(echo ${pending[$1]:-}) " == *" $2 "* ]]
}

# compare WHAT COMMAND HELP_FLAGS OTHER_FLAGS: both ways, pending flags exempt from the second.
compare() {
    local what=$1 cmd=$2 help=$3 other=$4 f
    for f in $help; do
        if grep -qxF -- "$f" <<<"$other"; then pass; else fail "$cmd $f is in --help but not in $what"; fi
    done
    for f in $other; do
        if grep -qxF -- "$f" <<<"$help"; then
            continue
        elif is_pending "$cmd" "$f"; then
            echo "note: $cmd $f is in $what but not in this build's --help yet (pending)"
        else
            fail "$cmd $f is in $what but not in --help"
        fi
    done
}

commands=$(help_commands)
expect_eq "$(wc -w <<<"$commands" | tr -d ' ')" "$(wc -w <<<"$(echo $commands)" | tr -d ' ')" "commands parsed"
[[ -n $commands ]] && pass || fail "no subcommands parsed from --help"
for cmd in $commands; do
    help=$(help_flags "$cmd")
    [[ -n $help ]] && pass || fail "no options parsed from $cmd --help"
    compare docs/commands.md "$cmd" "$help" "$(doc_flags "$cmd")"
    compare "the man page" "$cmd" "$help" "$(man_flags "$cmd")"
    compare "the bash completion" "$cmd" "$help" "$(bash_flags "$cmd")"
    compare "the zsh completion" "$cmd" "$help" "$(zsh_flags "$cmd")"
done
# Documented commands that this build does not have must be pending as a whole.
for cmd in $(grep -oE '^## `avara-onboard [a-z-]+`' "$commands_doc" | awk '{print $3}' | tr -d '`'); do
    if grep -qxF "$cmd" <<<"$commands"; then pass
    elif [[ -n ${pending[$cmd]:-} ]]; then echo "note: command $cmd is documented but not in this build yet (pending)"
    else fail "docs/commands.md documents a command '$cmd' that --help does not list"; fi
done

# Every run option except --help and --config is also a config key in docs/config.md.
config_keys=$(grep -oE '^\| `[a-z-]+` \|' "$SRC/docs/config.md" | tr -d '|` ' | sort -u)
for f in $(help_flags run); do
    case $f in --help | --config | -[a-z]) continue ;; esac
    if grep -qxF -- "${f#--}" <<<"$config_keys"; then pass; else fail "run $f has no key in docs/config.md"; fi
done

# ... and every option key docs/config.md lists is one the config parser accepts (a key it did not
# know would be refused as "unknown key", file and line named).
printf 'email,firstName,lastName,clinicRole,level,canManageStudies,hasDashboardAccess\n' >"$WORK/keys.csv"
for key in $(awk '/^## Option keys/ {on = 1; next} on && /^## / {exit} on' "$SRC/docs/config.md" |
    grep -oE '^\| `[a-z-]+` \|' | tr -d '|` '); do
    case $key in
    report-format) value='"csv"' ;;
    log-format) value='"text"' ;;
    delimiter) value='","' ;;
    encoding) value='"utf-8"' ;;
    base-url) value='"https://api.example.org"' ;;
    concurrency | max-retries | rate | timeout | max-wait) value=1 ;;
    allow-insecure-http | resume | verbose | quiet) value=false ;;
    *) value="\"$key.out\"" ;;
    esac
    printf '%s = %s\n' "$key" "$value" >"$WORK/key.toml"
    "$BIN" validate "$WORK/keys.csv" --config "$WORK/key.toml" --report "$WORK/keys.report.csv" -q \
        >/dev/null 2>"$WORK/key.err"
    if grep -q "unknown key" "$WORK/key.err"; then fail "docs/config.md lists '$key', which the config parser does not know"
    else pass; fi
done

# Enumerated values offered by the completions.
for v in csv jsonl; do
    expect_contains <(bash -c "source '$bash_completion'; _avara_onboard_values --report-format") "$v"
done
for v in text json; do
    expect_contains <(bash -c "source '$bash_completion'; _avara_onboard_values --log-format") "$v"
done
expect_contains <(bash -c "source '$bash_completion'; _avara_onboard_values --delimiter") "tab"
expect_contains "$zsh_completion" "(csv jsonl)"
expect_contains "$zsh_completion" "(text json)"

# The README sends users to docs/, not to a path that exists in no checkout or package.
expect_not_contains "$SRC/README.md" "shared/spec/contract.md"
expect_contains "$SRC/README.md" "docs/README.md"
finish
