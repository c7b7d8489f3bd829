/** The README's fenced code blocks, for the tests that check and run what the README shows. */
import { chmodSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './cli.js';

export interface Block {
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
  /** `run` or `flow` from a `<!-- readme-test: ... -->` line right above the fence. */
  directive?: string;
}

export const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

export function blocks(md: string = README): Block[] {
  const out: Block[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    const prev = lines[start - 1] ?? '';
    const directive = /^<!-- readme-test: (.+?) -->$/.exec(prev)?.[1];
    out.push({ lang: open[1], line: start + 1, text: body.join('\n'), directive });
  }
  return out;
}

/**
 * A directory to run README commands in, as a user who ran `npm link` would: the repo's examples/,
 * `zonectl` on the PATH (the built CLI), HOME inside it (so ~/.zonectl/config is the sandbox's), no
 * colour, a fixed clock.
 */
export function readmeSandbox(dir: string): { dir: string; env: NodeJS.ProcessEnv } {
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  writeFileSync(join(dir, 'zonectl'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(dir, 'zonectl'), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}:${process.env.PATH}`, HOME: dir, NO_COLOR: '1', ZONECTL_FIXED_CLOCK: '2019-07-17T18:08:41Z' };
  for (const k of Object.keys(env)) if (k.startsWith('ZONECTL_') && k !== 'ZONECTL_FIXED_CLOCK') delete env[k];
  return { dir, env };
}
