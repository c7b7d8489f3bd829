/**
 * Shell completion, computed by zonectl itself (the way kubectl's and gh's cobra scripts call
 * `__complete`): the shell script sends the words typed so far and gets candidates back, one per
 * line. Commands and flags come from the oclif manifest, so completion never drifts from the
 * commands; resource kinds from the kind registry; context names from the config file.
 */

export interface ManifestFlag {
  name: string;
  char?: string;
  type: 'boolean' | 'option';
  options?: string[];
  hidden?: boolean;
}

export interface ManifestCommand {
  id: string;
  hidden?: boolean;
  flags: Record<string, ManifestFlag>;
  args: Record<string, { name: string }>;
}

export interface CompletionModel {
  commands: ManifestCommand[];
  /** `get`/`delete` KIND values. */
  kinds(): string[];
  /** Context names of the config file (empty when there is none). */
  contexts(): string[];
}

/** Commands whose first positional argument is a resource kind. */
const KIND_COMMANDS = new Set(['get', 'delete']);

/**
 * Candidates for `current`, given the words before it (without the program name). Flags are
 * offered only when the current word starts with `-`; a flag's value when the previous word is a
 * flag that takes one.
 */
export function complete(words: readonly string[], current: string, model: CompletionModel): string[] {
  const visible = model.commands.filter((c) => !c.hidden);
  const positional: string[] = [];
  let command: ManifestCommand | undefined;
  let pendingFlag: ManifestFlag | undefined;
  for (const w of words) {
    if (pendingFlag) {
      pendingFlag = undefined;
      continue;
    }
    if (w.startsWith('-')) {
      const flag = command ? findFlag(command, w) : undefined;
      if (flag && flag.type === 'option' && !w.includes('=')) pendingFlag = flag;
      continue;
    }
    if (!command) {
      const id = [...positional, w].join(':');
      const exact = visible.find((c) => c.id === id);
      positional.push(w);
      if (exact) {
        command = exact;
        positional.length = 0;
      }
      continue;
    }
    positional.push(w);
  }
  const starts = (s: string) => s.startsWith(current);
  if (pendingFlag) return flagValues(pendingFlag, model).filter(starts);
  if (!command) {
    // Still choosing a command: the next word of every command under what was typed.
    const prefix = positional.length ? `${positional.join(':')}:` : '';
    const next = new Set<string>();
    for (const c of visible) if (c.id.startsWith(prefix)) next.add(c.id.slice(prefix.length).split(':')[0]);
    // `help` comes from @oclif/plugin-help, whose commands are not in our manifest.
    if (prefix === '') next.add('help');
    return [...next].filter((w) => w !== '' && starts(w)).sort();
  }
  if (current.startsWith('-')) {
    const names = Object.values(command.flags)
      .filter((f) => !f.hidden)
      .map((f) => `--${f.name}`);
    if (Object.values(command.flags).some((f) => f.name === 'json')) names.push('--json');
    return [...new Set(names)].filter(starts).sort();
  }
  if (KIND_COMMANDS.has(command.id) && positional.length === 0) return model.kinds().filter(starts);
  if (command.id === 'config:control-planes:use' || command.id === 'config:control-planes:remove') return model.contexts().filter(starts);
  return [];
}

function findFlag(command: ManifestCommand, word: string): ManifestFlag | undefined {
  const flags = Object.values(command.flags);
  if (word.startsWith('--')) {
    const name = word.slice(2).split('=')[0];
    return flags.find((f) => f.name === name);
  }
  return word.length === 2 ? flags.find((f) => f.char === word[1]) : undefined;
}

function flagValues(flag: ManifestFlag, model: CompletionModel): string[] {
  if (flag.name === 'context') return model.contexts();
  return flag.options ?? [];
}
