/**
 * `zonectl __complete WORDS... CURRENT` without oclif: the shell calls it at every Tab, so it
 * answers from the manifest, the kind registry and the config file only.
 */
import { readFileSync } from 'node:fs';
import { allKinds } from '../../resources/kinds.js';
import { configPath, readConfig } from '../config-file.js';
import { complete, type ManifestCommand } from './complete.js';

/** The manifest at the package root: two levels up from dist/fast/, three from dist/cli/completion/. */
function manifestCommands(): ManifestCommand[] {
  for (const rel of ['../../oclif.manifest.json', '../../../oclif.manifest.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { commands: Record<string, ManifestCommand> };
      return Object.values(manifest.commands);
    } catch {
      continue;
    }
  }
  return [];
}

function contexts(): string[] {
  try {
    return (readConfig(configPath(undefined))?.contexts ?? []).map((c) => c.name);
  } catch {
    // A broken config file must not break Tab; the command itself will say what is wrong.
    return [];
  }
}

export async function completeFast(argv: string[]): Promise<boolean> {
  const words = argv.slice(0, -1);
  const current = argv.length ? argv[argv.length - 1] : '';
  const out = complete(words, current, { commands: manifestCommands(), kinds: () => allKinds().flatMap((k) => k.cliNames), contexts });
  process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
  return true;
}
