# fish completion for kubectl-foo: every candidate (commands, flags, their values, Foo names
# from the cluster the line's own --kubeconfig/--context/--server point at) comes from
# `kubectl-foo __complete`, in cobra's format.
function __kubectl_foo_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out ($words[1] __complete $words[2..-1] 2>/dev/null)
    or return
    set -l directive (string replace ':' '' -- $out[-1])
    test (math "$directive % 2") -eq 1; and return
    set -e out[-1]
    string match -v -- '' $out
    if test (count $out) -eq 0; and test (math "floor($directive / 4) % 2") -eq 0
        __fish_complete_path (commandline -ct)
    end
end
complete -c kubectl-foo -f -a '(__kubectl_foo_complete)'
