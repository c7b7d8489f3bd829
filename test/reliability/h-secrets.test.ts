/**
 * Part h (runs last): every stdout/stderr the suite captured from its zonectl processes is
 * searched for the secrets the other parts saw: zone tokens minted or forged (whole, and their
 * signature alone), the admin token, private key PEM bodies (whole, and each 64-character line
 * as a PEM file wraps them) and the zone-token signing keys.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { OUT, record } from './harness.js';

const PART = 'h. Secrets in captured output';

interface Secret {
  label: string;
  value: string;
}

/** The strings to look for: the secret and the recognisable pieces of it. */
function needles(s: Secret): string[] {
  const out = [s.value];
  const jwt = s.value.split('.');
  if (jwt.length === 3 && jwt[2]!.length >= 40) out.push(jwt[2]!);
  if (/^[A-Za-z0-9+/=]{200,}$/.test(s.value)) for (let i = 0; i + 64 <= s.value.length; i += 64) out.push(s.value.slice(i, i + 64));
  return out.filter((n) => n.length >= 24);
}

/** Files under logsDir that contain any secret: [file, secret label]. */
export function findLeaks(logsDir: string, secrets: Secret[]): [string, string][] {
  const leaks: [string, string][] = [];
  const all = secrets.map((s) => ({ label: s.label, needles: needles(s) }));
  for (const f of readdirSync(logsDir).sort()) {
    const text = readFileSync(join(logsDir, f), 'utf8');
    if (!text) continue;
    // JSON logs escape '/' and '+' never, but '\n' in a PEM becomes "\\n": compare without those too.
    const flat = text.replace(/\\n|\n/g, '');
    for (const s of all) if (s.needles.some((n) => text.includes(n) || flat.includes(n))) leaks.push([f, s.label]);
  }
  return leaks;
}

function readSecrets(dir: string): Secret[] {
  const file = join(dir, 'secrets.jsonl');
  if (!existsSync(file)) return [];
  const seen = new Set<string>();
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Secret)
    .filter((s) => s.value && !seen.has(s.value) && seen.add(s.value));
}

describe(PART, () => {
  test('the grep finds a planted secret, whole or as one line of a wrapped PEM body', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'zonectl-rel-h-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const key = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ'.repeat(6);
    writeFileSync(join(dir, 'a.err'), `{"msg":"oops","key":"${key.slice(64, 128)}"}\n`);
    writeFileSync(join(dir, 'b.out'), 'token eyJhbGciOiJSUzI1NiJ9.eyJab25lIjoiem9uZS0xIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJl\n');
    writeFileSync(join(dir, 'c.out'), 'nothing here\n');
    const leaks = findLeaks(dir, [
      { label: 'key', value: key },
      { label: 'token', value: 'eyJhbGciOiJSUzI1NiJ9.eyJab25lIjoiem9uZS0yIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJl' },
    ]);
    assert.deepEqual(leaks, [
      ['a.err', 'key'],
      ['b.out', 'token'],
    ]);
  });

  test('no captured stdout, stderr or log of the suite contains a secret it saw', { skip: !process.env.ZONECTL_RELIABILITY_OUT && 'run by scripts/test-reliability.mjs after the other parts' }, () => {
    const secrets = readSecrets(OUT);
    const logsDir = join(OUT, 'logs');
    const files = readdirSync(logsDir);
    assert.ok(secrets.length > 0, 'the other parts recorded the secrets they saw');
    assert.ok(files.length > 0, 'the other parts captured process output');
    const bytes = files.reduce((n, f) => n + readFileSync(join(logsDir, f)).length, 0);
    const leaks = findLeaks(logsDir, secrets);
    assert.deepEqual(leaks, [], `secrets in captured output: ${leaks.map(([f, l]) => `${f}: ${l}`).join('; ')}`);
    const kinds = new Map<string, number>();
    for (const s of secrets) {
      const kind = s.label.startsWith('forged') ? 'forged tokens' : s.label.startsWith('zone token') ? 'zone tokens minted' : s.label.startsWith('admin') ? 'admin tokens' : 'private keys and signing keys';
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    record(PART, 'secrets searched for', `${secrets.length} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})`);
    record(PART, 'captured outputs searched', `${files.length} files, ${Math.round(bytes / 1024)} KiB`);
    record(PART, 'secrets found', 0);
  });
});
