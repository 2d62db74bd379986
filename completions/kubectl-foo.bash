# bash completion for kubectl-foo: every candidate (commands, flags, their values, Foo names
# from the cluster the line's own --kubeconfig/--context/--server point at) comes from
# `kubectl-foo __complete`, in cobra's format. Load it with: source <(kubectl-foo completion bash)
_kubectl_foo() {
    local cur="${COMP_WORDS[COMP_CWORD]}" line="${COMP_LINE:0:COMP_POINT}"
    local -a words
    # The words as typed, not as split at bash's word breaks (`=`, `:`).
    read -ra words <<< "$line"
    [[ "$line" =~ [[:space:]]$ ]] && words+=("")
    local out
    out=$("${words[0]}" __complete "${words[@]:1}" 2>/dev/null) || return
    local directive="${out##*:}" candidates="${out%:*}"
    (( directive & 1 )) && return
    local typed="${words[${#words[@]}-1]}" value
    COMPREPLY=()
    while IFS= read -r value; do
        value="${value%%$'\t'*}"
        [[ -z "$value" || "$value" != "$typed"* ]] && continue
        # bash replaces only the part after its last word break.
        COMPREPLY+=("${value:${#typed}-${#cur}}")
    done <<< "$candidates"
    if (( ${#COMPREPLY[@]} == 0 )) && ! (( directive & 4 )); then
        compopt -o default 2>/dev/null
    elif (( directive & 2 )); then
        compopt -o nospace 2>/dev/null
    fi
}
complete -F _kubectl_foo kubectl-foo
