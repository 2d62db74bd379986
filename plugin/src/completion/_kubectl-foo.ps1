# PowerShell completion for kubectl-foo: every candidate (commands, flags, their values, Foo
# names from the cluster the line's own --kubeconfig/--context/--server point at) comes from
# `kubectl-foo __complete`, in cobra's format.
Register-ArgumentCompleter -Native -CommandName kubectl-foo -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $line = $commandAst.Extent.ToString().Substring(0, $cursorPosition - $commandAst.Extent.StartOffset)
    $request = 'kubectl-foo __complete ' + (($line -split '\s+' | Select-Object -Skip 1) -join ' ')
    # The word being completed may be empty: pass it all the same.
    if ($line -match '\s$') { $request += " ''" }
    $out = @(Invoke-Expression "$request 2>`$null")
    if ($out.Count -eq 0) { return }
    $directive = [int]($out[-1].TrimStart(':'))
    if ($directive -band 1) { return }
    foreach ($candidate in $out[0..($out.Count - 2)]) {
        if (-not $candidate) { continue }
        $value, $description = $candidate -split "`t", 2
        if (-not $description) { $description = $value }
        [System.Management.Automation.CompletionResult]::new($value, $value, 'ParameterValue', $description)
    }
}
