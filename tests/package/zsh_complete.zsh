# Prints the candidates that zsh's completion system offers at the end of a command line, one a
# line: an interactive zsh in a pseudo-terminal (zpty) loads the completions from FOLDER, a Tab is
# typed, and compadd is wrapped to print what the completion functions add.
#   usage: zsh -f zsh_complete.zsh FOLDER 'avara-onboard run x.csv --report-format '
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT='> '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'compadd () { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi; typeset -a hits; builtin compadd -A hits "$@"; local h; for h in $hits; do print -r -- "<<$h>>"; done; }'
zpty -w z "bindkey '^I' complete-word"
zpty -w -n z "$2"$'\t'
local all= chunk
integer i
for ((i = 0; i < 30; i++)); do
    sleep 0.1
    while zpty -r -t z chunk 2>/dev/null; do all+=$chunk; done
done
zpty -d z
print -r -- ${(F)${(M)${(f)all//$'\r'/}:#*<<*>>*}} | sed -nE 's/.*<<([^$]*)>>.*/\1/p' | sort -u
