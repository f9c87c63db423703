package completion

// The scripts take, in order: the program's name, the table, and the
// program's name as part of a function name. The table holds no quotes.

// bashScript completes poolvisor's subcommands, their flags, and the
// command text after `exec --` by the longest path of typed words in the
// table.
const bashScript = `# %[1]s completion for bash; load it with: source <(%[1]s completion bash)
__%[3]s_table='%[2]s'

# __%[3]s_lookup prints the candidates of a path, or fails when it has none.
__%[3]s_lookup() {
    local k v
    while IFS=$'\t' read -r k v; do
        if [[ $k == "$1" ]]; then
            printf '%%s\n' "$v"
            return 0
        fi
    done <<< "$__%[3]s_table"
    return 1
}

_%[3]s() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cands
    if (( COMP_CWORD == 1 )); then
        cands=$(__%[3]s_lookup "sub:")
    else
        local sub=${COMP_WORDS[1]} i w dashdash=0
        local -a pv_path=()
        for (( i = 2; i < COMP_CWORD; i++ )); do
            w=${COMP_WORDS[i]}
            if [[ $sub == exec && $dashdash == 0 ]]; then
                [[ $w == -- ]] && dashdash=1
                continue
            fi
            [[ $w == -* ]] && continue
            pv_path+=("$w")
        done
        if [[ $prev == --* ]] && cands=$(__%[3]s_lookup "flag:$prev"); then
            :
        elif [[ $sub == exec && $dashdash == 0 ]]; then
            cands="$(__%[3]s_lookup "sub:exec") --"
        elif [[ $sub == exec ]]; then
            for (( i = ${#pv_path[@]}; i >= 0; i-- )); do
                cands=$(__%[3]s_lookup "cmd:${pv_path[*]:0:$i}") && break
            done
        else
            cands=$(__%[3]s_lookup "sub:$sub")
        fi
    fi
    COMPREPLY=($(compgen -W "$cands" -- "$cur"))
}
complete -F _%[3]s %[1]s
`

// zshScript is the bash script through zsh's bash completion layer.
const zshScript = `#compdef %[1]s
# %[1]s completion for zsh; load it with: source <(%[1]s completion zsh)
autoload -U +X bashcompinit && bashcompinit
` + bashScript

// fishScript is the same lookup in fish.
const fishScript = `# %[1]s completion for fish; load it with: %[1]s completion fish | source
set -g __%[3]s_table '%[2]s'

function __%[3]s_lookup
    for line in (string split \n -- $__%[3]s_table)
        set -l kv (string split -m1 \t -- $line)
        if test "$kv[1]" = "$argv[1]"
            string split ' ' -- $kv[2]
            return 0
        end
    end
    return 1
end

function __%[3]s_complete
    set -l tokens (commandline -opc)
    set -e tokens[1]
    if test (count $tokens) -eq 0
        __%[3]s_lookup 'sub:'
        return
    end
    set -l sub $tokens[1]
    set -e tokens[1]
    if test (count $tokens) -gt 0; and string match -q -- '--*' $tokens[-1]
        __%[3]s_lookup "flag:$tokens[-1]"; and return
    end
    set -l dashdash 0
    set -l pv_path
    for w in $tokens
        if test "$sub" = exec -a $dashdash -eq 0
            test "$w" = '--'; and set dashdash 1
            continue
        end
        string match -q -- '-*' $w; and continue
        set -a pv_path $w
    end
    if test "$sub" != exec
        __%[3]s_lookup "sub:$sub"
    else if test $dashdash -eq 0
        __%[3]s_lookup "sub:exec"
        printf '%%s\n' '--'
    else
        for i in (seq (count $pv_path) -1 1)
            __%[3]s_lookup "cmd:"(string join ' ' -- $pv_path[1..$i]); and return
        end
        __%[3]s_lookup 'cmd:'
    end
end

complete -c %[1]s -f -a '(__%[3]s_complete)'
`
