/**
 * "Did you mean" for mistyped commands, as kubectl and gh print it: the closest command by edit
 * distance, compared with as many words of what was typed as the candidate has, so that
 * `validte examples/` suggests `validate` and `config contrl-planes list` suggests
 * `config control-planes list`.
 */

/** Levenshtein distance (insert, delete, substitute, each 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

export interface Suggestion {
  /** What the user typed that is not a command, as words (`validte`). */
  typed: string;
  /** The closest command (`validate`), or undefined when nothing is close. */
  command?: string;
}

/**
 * `id` is oclif's colon-joined id of everything typed (`validte:examples/`); `commandIds` the known
 * ids (`config:control-planes:list`). Suggests only within a distance a typo can explain.
 */
export function suggestCommand(id: string, commandIds: readonly string[]): Suggestion {
  const parts = id.split(':');
  let best: { id: string; distance: number; words: number } | undefined;
  for (const candidate of commandIds) {
    const words = candidate.split(':').length;
    if (words > parts.length) continue;
    const typed = parts.slice(0, words).join(' ');
    const distance = editDistance(typed, candidate.split(':').join(' '));
    if (!best || distance < best.distance || (distance === best.distance && words > best.words)) best = { id: candidate, distance, words };
  }
  if (!best) return { typed: parts[0] };
  const typed = parts.slice(0, best.words).join(' ');
  const limit = Math.max(2, Math.floor(typed.length / 3));
  return best.distance <= limit ? { typed, command: best.id.split(':').join(' ') } : { typed: parts[0] };
}
