/**
 * The scripts `zonectl completion SHELL` prints. Each asks `zonectl __complete WORDS... CURRENT`
 * for candidates (one per line) and lets the shell filter and display them; paths fall back to the
 * shell's own file completion where no candidate is offered.
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const bash = (bin: string) => `# ${bin} completion for bash. Load it with:
#   source <(${bin} completion bash)
# or install it: ${bin} completion bash > /etc/bash_completion.d/${bin}
_${bin}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\\n'
  local candidates
  candidates=$(${bin} __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null)
  COMPREPLY=( $(compgen -W "$candidates" -- "$cur") )
}
complete -o default -F _${bin}_complete ${bin}
`;

const zsh = (bin: string) => `#compdef ${bin}
# ${bin} completion for zsh. Load it (after compinit) with:
#   source <(${bin} completion zsh)
# or put it in a directory of $fpath as _${bin}.
_${bin}() {
  local -a candidates
  candidates=("\${(@f)$(${bin} __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null)}")
  if (( \${#candidates[@]} )) && [[ -n "\${candidates[1]}" ]]; then
    compadd -- "\${candidates[@]}"
  else
    _files
  fi
}
compdef _${bin} ${bin}
`;

const fish = (bin: string) => `# ${bin} completion for fish. Load it with:
#   ${bin} completion fish | source
# or install it: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish
function __${bin}_complete
  set -l tokens (commandline -opc)
  set -e tokens[1]
  ${bin} __complete $tokens (commandline -ct) 2>/dev/null
end
complete -c ${bin} -f -a '(__${bin}_complete)'
`;

export function completionScript(shell: Shell, bin = 'zonectl'): string {
  return { bash, zsh, fish }[shell](bin);
}
