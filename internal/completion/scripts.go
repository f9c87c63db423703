package completion

// The scripts take, in order: the program's name, the table, the
// program's name as part of a function name, and the live lists (pool
// program). The table holds no quotes. A candidate @LIST stands for the
// names of that list, which the program prints (`poolvisor __names LIST`,
// through serve's socket) when the shell needs them; the program prints
// only names that are safe as one word of the shell's (no $, quote,
// blank or bracket), and the scripts take its output as words, never as
// code, and keep a * (GROUP:*) from file name expansion.

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

# __%[3]s_names replaces each @LIST of the candidates $1 with the names
# serve lists for it (on the socket $2, if given): none when no serve
# answers.
__%[3]s_names() {
    local cands=$1 list names
    for list in %[4]s; do
        if [[ $cands == *@$list* ]]; then
            if [[ -n $2 ]]; then
                names=$(%[1]s __names --socket "$2" $list 2>/dev/null)
            else
                names=$(%[1]s __names $list 2>/dev/null)
            fi
            cands=${cands//@$list/$names}
        fi
    done
    printf '%%s\n' "$cands"
}

# __%[3]s_rejoin sets pv_words and pv_cword to COMP_WORDS and COMP_CWORD
# with the words bash split at a colon (COMP_WORDBREAKS) put together
# again: queue:* comes as "queue" ":" "*". No word of poolvisor's has a
# blank beside a colon. zsh does not split there.
__%[3]s_rejoin() {
    pv_words=() pv_cword=0
    local i w n=-1
    for (( i = 0; i < ${#COMP_WORDS[@]}; i++ )); do
        w=${COMP_WORDS[i]}
        if [[ -z ${ZSH_VERSION-} ]] && (( n >= 0 )) && [[ $w == :* || ${pv_words[n]} == *: ]]; then
            pv_words[n]+=$w
        else
            pv_words+=("$w")
            n=$(( ${#pv_words[@]} - 1 ))
        fi
        (( i == COMP_CWORD )) && pv_cword=$n
    done
}

# __%[3]s_socket prints the socket a --socket word (its value, or
# --socket=VALUE) names, unquoted and with ~ expanded as the shell would.
__%[3]s_socket() {
    local s=${1#--socket=}
    s=${s#[\"\']}
    s=${s%%[\"\']}
    [[ $s == "~/"* ]] && s=$HOME/${s#"~/"}
    printf '%%s\n' "$s"
}

_%[3]s() {
    local -a pv_words
    local pv_cword
    __%[3]s_rejoin
    local cur=${pv_words[pv_cword]} prev=${pv_words[pv_cword-1]}
    local cands sock= w
    if (( pv_cword == 1 )); then
        cands=$(__%[3]s_lookup "sub:")
    else
        local sub=${pv_words[1]} i dashdash=0
        local -a pv_path=()
        for (( i = 2; i < pv_cword; i++ )); do
            w=${pv_words[i]}
            if [[ $dashdash == 0 && ${pv_words[i-1]} == --socket ]]; then
                sock=$(__%[3]s_socket "$w")
            elif [[ $dashdash == 0 && $w == --socket=* ]]; then
                sock=$(__%[3]s_socket "$w")
            fi
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
        [[ $cands == *@* ]] && cands=$(__%[3]s_names "$cands" "$sock")
    fi
    # Each candidate that begins with the word typed, as it is: compgen -W
    # would expand $(...) in a name, and COMPREPLY=($(...)) match a * to
    # file names. bash inserts a candidate as it is, after the last colon
    # of the word (its word break): so the part up to that colon goes,
    # and a * is escaped, or the command would match it to file names.
    # zsh quotes what it inserts itself.
    local done=
    [[ -z ${ZSH_VERSION-} && $cur == *:* ]] && done=${cur%%"${cur##*:}"}
    COMPREPLY=()
    while IFS= read -r w; do
        if [[ -n $w && $w == "$cur"* ]]; then
            w=${w#"$done"}
            [[ -z ${ZSH_VERSION-} ]] && w=${w//\*/\\*}
            COMPREPLY+=("$w")
        fi
    done < <(printf '%%s\n' "$cands" | tr ' ' '\n')
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

# __%[3]s_names prints its input, a candidate a line, with each @LIST
# replaced by the names serve lists for it (on the socket $argv[1], if
# given): none when no serve answers.
function __%[3]s_names
    while read -l w
        set -l list (string replace -r -- '^@' '' $w)
        if test "$list" = "$w"
            printf '%%s\n' $w
        else if test -n "$argv[1]"
            %[1]s __names --socket $argv[1] $list 2>/dev/null
        else
            %[1]s __names $list 2>/dev/null
        end
    end
end

# __%[3]s_candidates prints what may follow the typed words.
function __%[3]s_candidates
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
    set -l prev
    for w in $tokens
        if test $dashdash -eq 0 -a "$prev" = --socket
            set -g __%[3]s_socket $w
        else if test $dashdash -eq 0; and string match -q -- '--socket=*' $w
            set -g __%[3]s_socket (string replace -- '--socket=' '' $w)
        end
        set prev $w
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

function __%[3]s_complete
    set -g __%[3]s_socket
    set -l cands (__%[3]s_candidates)
    printf '%%s\n' $cands | __%[3]s_names $__%[3]s_socket
end

complete -c %[1]s -f -a '(__%[3]s_complete)'
`
