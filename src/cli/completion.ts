/**
 * Shell completion. The scripts are thin: on every <Tab> they run the hidden
 * `delegate __complete <words...>`, which walks the commander program itself
 * (so nouns, verbs and flags never go stale) and answers values (client
 * domains, offer ids, roles, groups, templates) from the store.
 */
import type { Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

/** The kinds of value the store can suggest. */
export type ValueKind = 'client' | 'offer' | 'role' | 'group' | 'template' | 'output' | 'shell' | 'setting';

/** What a completion needs from the store (empty when there is none). */
export type ValueSource = (kind: ValueKind) => Promise<string[]>;

/** Which kind of value an option or argument takes, by its name. */
const OPTION_VALUES: Record<string, ValueKind> = {
  '--output': 'output',
  '--role': 'role',
  '--roles': 'role',
  '--group': 'group',
  '--template': 'template',
  '--client': 'client',
};

function argumentKind(cmd: Command, name: string): ValueKind | undefined {
  if (cmd.name() === 'completion') return 'shell';
  if (cmd.parent?.name() === 'config') return name === 'key' ? 'setting' : undefined;
  if (name === 'domain' || name === 'client-domain') return cmd.parent?.name() === 'domain' && name === 'domain' ? undefined : 'client';
  if (name.startsWith('offer')) return 'offer';
  if (name === 'group') return 'group';
  if (name === 'name') return cmd.parent?.name() === 'template' ? 'template' : cmd.parent?.name() === 'group' && cmd.name() !== 'create' ? 'group' : undefined;
  return undefined;
}

function visible(cmd: Command): Command[] {
  return cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

function options(cmd: Command): Option[] {
  const out: Option[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) out.push(...c.options.filter((o) => !o.hidden));
  return out;
}

function findOption(cmd: Command, flag: string): Option | undefined {
  return options(cmd).find((o) => o.long === flag || o.short === flag);
}

/**
 * The candidates for the last word of `words` (the words after `delegate`,
 * the last being the one under the cursor, possibly empty).
 */
export async function complete(program: Command, words: readonly string[], values: ValueSource): Promise<string[]> {
  const cur = words.at(-1) ?? '';
  let cmd = program;
  let positional = 0;
  let pending: Option | undefined;
  for (const w of words.slice(0, -1)) {
    if (pending) {
      pending = undefined;
      continue;
    }
    if (w.startsWith('-')) {
      if (w.includes('=')) continue;
      const o = findOption(cmd, w);
      if (o && (o.required || o.optional)) pending = o;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && positional === 0) cmd = sub;
    else positional++;
  }
  const starts = (xs: readonly string[]) => [...new Set(xs)].filter((x) => x.startsWith(cur));
  if (pending) {
    const kind = pending.long ? OPTION_VALUES[pending.long] : undefined;
    if (pending.argChoices) return starts(pending.argChoices);
    return kind ? starts(await values(kind)) : [];
  }
  if (cur.startsWith('-')) return starts([...options(cmd).flatMap((o) => (o.long ? [o.long] : o.short ? [o.short] : [])), '--help']);
  const subs = visible(cmd);
  if (subs.length && positional === 0) {
    const names = subs.map((c) => c.name());
    // A noun that is also a command (`inbox`) offers its verbs and its own values.
    if (cmd.registeredArguments.length === 0) return starts(names);
    return starts([...names, ...(await argValues(cmd, 0, values))]);
  }
  return starts(await argValues(cmd, positional, values));
}

async function argValues(cmd: Command, index: number, values: ValueSource): Promise<string[]> {
  const args = cmd.registeredArguments;
  const arg = args[Math.min(index, args.length - 1)];
  if (!arg || (index >= args.length && !arg.variadic)) return [];
  const kind = argumentKind(cmd, arg.name());
  return kind ? values(kind) : [];
}

/** The script for a shell; `bin` is the command name it completes. */
export function completionScript(shell: Shell, bin = 'delegate'): string {
  const fn = `_${bin.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  switch (shell) {
    case 'bash':
      return `# ${bin} completion for bash. Install: ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
# (or add \`source <(${bin} completion bash)\` to ~/.bashrc)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local -a out
  out=($(${bin} __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  COMPREPLY=()
  local c
  for c in "\${out[@]}"; do
    if [[ $c == *' '* ]]; then COMPREPLY+=("$(printf '%q' "$c")"); else COMPREPLY+=("$c"); fi
  done
}
complete -o default -F ${fn} ${bin}
`;
    case 'zsh':
      return `#compdef ${bin}
# ${bin} completion for zsh. Install: ${bin} completion zsh > "\${fpath[1]}/_${bin}" (then restart zsh),
# or add \`source <(${bin} completion zsh)\` to ~/.zshrc after compinit.
${fn}() {
  local -a out
  out=("\${(@f)$(${bin} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  out=("\${(@)out:#}")
  if (( \${#out} )); then compadd -- "\${(@)out}"; else _files; fi
}
compdef ${fn} ${bin}
`;
    case 'fish':
      return `# ${bin} completion for fish. Install: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish
function ${fn}
    set -l words (commandline -opc)[2..-1]
    ${bin} __complete -- $words (commandline -ct) 2>/dev/null
end
complete -c ${bin} -f -a '(${fn})'
`;
    case 'powershell':
      return `# ${bin} completion for PowerShell. Install: ${bin} completion powershell >> $PROFILE
Register-ArgumentCompleter -Native -CommandName '${bin}' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 | Where-Object { $_.Extent.EndOffset -le $cursorPosition } | ForEach-Object { $_.ToString() })
    if ($wordToComplete -eq '') { $words += '' } elseif ($words.Count -gt 0) { $words[-1] = $wordToComplete }
    & '${bin}' __complete '--' @words 2>$null | ForEach-Object {
        $text = if ($_ -match '\\s') { "'" + $_ + "'" } else { $_ }
        [System.Management.Automation.CompletionResult]::new($text, $_, 'ParameterValue', $_)
    }
}
`;
  }
}
