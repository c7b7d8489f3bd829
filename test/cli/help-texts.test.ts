/**
 * Help texts read the same everywhere: every flag and argument is described by a sentence, every
 * example is a `$ ` command line, every topic has a description, and no flag offers a value that
 * the command then refuses. Read from the oclif manifest, i.e. from what `--help` prints.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

interface Manifest {
  commands: Record<string, { hidden?: boolean; examples?: (string | { command: string })[]; flags: Record<string, { summary?: string; description?: string; hidden?: boolean }>; args: Record<string, { description?: string }> }>;
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as Manifest;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { oclif: { topics: Record<string, { description?: string }> } };

const sentence = (s: string | undefined) => s !== undefined && /^[A-Z0-9`'"(<-]/.test(s) && /[.)]$/.test(s.trim());

test('every flag and argument description is a sentence', () => {
  const bad: string[] = [];
  for (const [id, c] of Object.entries(manifest.commands)) {
    if (c.hidden) continue;
    for (const [name, f] of Object.entries(c.flags)) if (!f.hidden && name !== 'json' && !sentence(f.summary ?? f.description)) bad.push(`${id} --${name}: ${JSON.stringify(f.summary ?? f.description)}`);
    for (const [name, a] of Object.entries(c.args ?? {})) if (!sentence(a.description)) bad.push(`${id} ${name}: ${JSON.stringify(a.description)}`);
  }
  assert.deepEqual(bad, []);
});

test('every example is a command line starting with $', () => {
  const bad: string[] = [];
  for (const [id, c] of Object.entries(manifest.commands)) {
    for (const e of c.examples ?? []) {
      const text = typeof e === 'string' ? e : e.command;
      if (!text.startsWith('$ ')) bad.push(`${id}: ${text}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('every topic has a description', () => {
  const topics = new Set(Object.keys(manifest.commands).filter((id) => id.includes(':')).map((id) => id.split(':').slice(0, -1).join(':')));
  for (const t of topics) assert.ok(pkg.oclif.topics[t]?.description, `topic "${t.replace(/:/g, ' ')}" has no description in package.json`);
});
