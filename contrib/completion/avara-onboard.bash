# bash completion for avara-onboard                                  -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/avara-onboard. tests/docs/help_agreement.sh
# checks these lists against each command's --help.

_avara_onboard_commands="run validate sync mock-server demo"

# The options of one command (run/validate/sync share the roster and report options).
_avara_onboard_flags() {
    local common="--report --report-format --summary --config --delimiter --encoding --sheet
        --html-report --log-format -v --verbose -q --quiet -h --help"
    local network="--base-url --api-key-file --concurrency --rate --max-retries --timeout --max-wait
        --ca-file --allow-insecure-http --resume --metrics-file"
    case $1 in
    run) echo $common $network ;;
    validate) echo $common --payloads ;;
    sync)
        echo $common $network --plan --plan-out --apply --revoke-missing --max-revoke \
            --min-valid-rows
        ;;
    mock-server)
        echo --listen --cert --key --write-ca --api-key --state-file --seed --latency-ms --fail-rate \
            --throttle-rate --retry-after --rate-limit --rate-limit-burst --blocked-seconds \
            --blocked-retry-after --seed-users --drop-rate --threads -h --help
        ;;
    demo) echo --roster --report --fail-rate --drop-rate -q --quiet -h --help ;;
    *) echo -h --help --version ;;
    esac
}

# The values of an enumerated option; "FILE" for a path, "" for free text.
_avara_onboard_values() {
    case $1 in
    --report-format) echo "csv jsonl" ;;
    --log-format) echo "text json" ;;
    --delimiter) echo ", ; tab |" ;;
    --encoding) echo "utf-8 utf-16 windows-1252 latin1" ;;
    --report | --summary | --config | --api-key-file | --ca-file | --payloads | --metrics-file | \
        --html-report | --plan-out | --apply | --roster | --cert | --key | --write-ca | --state-file | \
        --seed-users)
        echo FILE
        ;;
    esac
}

_avara_onboard() {
    local cur prev cmd i values
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    cmd=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -*) ;;
        *)
            cmd=${COMP_WORDS[i]}
            break
            ;;
        esac
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "-h --help --version" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_avara_onboard_commands" -- "$cur")
        fi
        return
    fi
    values=$(_avara_onboard_values "$prev")
    if [[ $values == FILE ]]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        compopt -o filenames 2>/dev/null
        return
    elif [[ -n $values ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
        return
    fi
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_avara_onboard_flags "$cmd")" -- "$cur")
    else
        # The roster: CSV and workbook files first, any file when none matches.
        mapfile -t COMPREPLY < <(compgen -f -X '!*.@(csv|CSV|tsv|txt|xlsx)' -- "$cur")
        [[ ${#COMPREPLY[@]} -eq 0 ]] && mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        compopt -o filenames 2>/dev/null
    fi
}
complete -F _avara_onboard avara-onboard
