# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_foo_global_optspecs
    string join \n kubeconfig= context= cluster= user= s/server= token= as= as-group= as-uid= certificate-authority= client-certificate= client-key= insecure-skip-tls-verify= tls-server-name= request-timeout= cache-dir= h/help V/version
end

function __fish_kubectl_foo_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_foo_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_foo_using_subcommand
    set -l cmd (__fish_kubectl_foo_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "list" -d 'List Foos as a table printed by the server (as `kubectl get foos`)'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "ls" -d 'List Foos as a table printed by the server (as `kubectl get foos`)'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "get" -d 'Show one or more Foos by name'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "describe" -d 'Show a Foo\'s spec, status and conditions in detail'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "create" -d 'Create a Foo'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "apply" -d 'Create or update Foos from a file or stdin'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "suspend" -d 'Suspend a Foo: it refuses bar until resumed'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "resume" -d 'Resume a suspended Foo'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "delete" -d 'Delete Foos by name, or all of them (asks for confirmation on a terminal)'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "bar" -d 'Invoke a Foo\'s bar subresource and print its message'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "api-resources" -d 'List the group\'s resources and subresources from discovery'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "version" -d 'Print the plugin and server versions and how the group is served'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish or powershell)'
complete -c kubectl-foo -n "__fish_kubectl_foo_needs_command" -f -a "__complete" -d 'Completion candidates in cobra\'s format (used by kubectl_complete-foo)'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -s o -l output -d 'Output format: json|yaml|name|wide|jsonpath=TEMPLATE|custom-columns=SPEC' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -s l -l selector -d 'Selector (label query) to filter on, supports \'=\', \'==\', \'!=\', \'in\', \'notin\'' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l field-selector -d 'Selector (field query) to filter on, e.g. metadata.name=foo' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l sort-by -d 'Sort the list by this JSONPath expression (e.g. \'.metadata.name\' or \'{.spec.greeting}\')' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l chunk-size -d 'Return large lists in chunks of this size (0 disables chunking)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l no-headers -d 'Don\'t print headers'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l show-labels -d 'Show all labels as the last column'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -s w -l watch -d 'After listing, watch for changes'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -l watch-only -d 'Watch for changes without listing first'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand list" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -s o -l output -d 'Output format: json|yaml|name|wide|jsonpath=TEMPLATE|custom-columns=SPEC' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -s l -l selector -d 'Selector (label query) to filter on, supports \'=\', \'==\', \'!=\', \'in\', \'notin\'' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l field-selector -d 'Selector (field query) to filter on, e.g. metadata.name=foo' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l sort-by -d 'Sort the list by this JSONPath expression (e.g. \'.metadata.name\' or \'{.spec.greeting}\')' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l chunk-size -d 'Return large lists in chunks of this size (0 disables chunking)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l no-headers -d 'Don\'t print headers'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l show-labels -d 'Show all labels as the last column'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -s w -l watch -d 'After listing, watch for changes'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -l watch-only -d 'Watch for changes without listing first'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand ls" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -s o -l output -d 'Output format: json|yaml|name|wide|jsonpath=TEMPLATE|custom-columns=SPEC' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l no-headers -d 'Don\'t print headers'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -l show-labels -d 'Show all labels as the last column'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand get" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand describe" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l greeting -d 'The greeting bar answers with (the server\'s default is "Hello")' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l dry-run -d 'Must be "none", "server", or "client"' -r -f -a "none\t'Really write'
server\t'Send the request with dryRun=All: validated and defaulted, not persisted'
client\t'Only print the object that would be sent'"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -s o -l output -d 'Output format: json|yaml|name|jsonpath=…|custom-columns=…' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -l suspend -d 'Create the Foo suspended'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand create" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -s f -l filename -d 'The file holding the Foo(s) (YAML or JSON; several YAML documents allowed), or - for stdin' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l field-manager -d 'The field manager for server-side apply' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l dry-run -d 'Must be "none", "server", or "client" (client: print what would be applied, send nothing)' -r -f -a "none\t'Really write'
server\t'Send the request with dryRun=All: validated and defaulted, not persisted'
client\t'Only print the object that would be sent'"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -s o -l output -d 'Output format: json|yaml|name|jsonpath=…|custom-columns=…' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l server-side -d 'Apply on the server (server-side apply) instead of a create-or-merge-patch'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -l force-conflicts -d 'With --server-side, take ownership of fields other managers own'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand apply" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand suspend" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand resume" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l dry-run -d 'Must be "none" or "server"' -r -f -a "none\t'Really write'
server\t'Send the request with dryRun=All: validated and defaulted, not persisted'
client\t'Only print the object that would be sent'"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -l all -d 'Delete every Foo'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal)'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand delete" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l arg1 -d 'The argument bar greets (the server\'s default is "world")' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l dry-run -d 'Must be "none" or "server"' -r -f -a "none\t'Really write'
server\t'Send the request with dryRun=All: validated, not persisted'"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -s o -l output -d 'Output format: json|yaml (default: the message alone)' -r -f -a "json\t''
yaml\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand bar" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -s o -l output -d 'Output format: wide|json|yaml|name' -r -f -a "wide\t''
json\t''
yaml\t''
name\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -l no-headers -d 'Don\'t print headers'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand api-resources" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -s o -l output -d 'Output format: json|yaml' -r -f -a "json\t''
yaml\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -l client -d 'Only print the plugin\'s version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand version" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand completion" -s V -l version -d 'Print version'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l kubeconfig -d 'Path to the kubeconfig file to use for CLI requests' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -s s -l server -d 'The address and port of the Kubernetes API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l token -d 'Bearer token for authentication to the API server' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l as -d 'Username to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l as-group -d 'Group to impersonate for the operation (repeatable)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l as-uid -d 'UID to impersonate for the operation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l certificate-authority -d 'Path to a cert file for the certificate authority' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l client-certificate -d 'Path to a client certificate file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l client-key -d 'Path to a client key file for TLS' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l insecure-skip-tls-verify -d 'If true, the server\'s certificate will not be checked for validity' -r -f -a "true\t''
false\t''"
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l tls-server-name -d 'Server name to use for server certificate validation' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l request-timeout -d 'How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)' -r
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -l cache-dir -d 'Default cache directory (discovery is cached under it)' -r -F
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-foo -n "__fish_kubectl_foo_using_subcommand __complete" -s V -l version -d 'Print version'
