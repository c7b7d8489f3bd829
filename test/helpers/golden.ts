/**
 * Golden files for human-facing output. `UPDATE_GOLDEN=1 npm test` rewrites them; review the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = fileURLToPath(new URL('../golden', import.meta.url));

export function assertGolden(relPath: string, actual: string): void {
  const file = join(GOLDEN_DIR, relPath);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (!existsSync(file) && process.env.CI) assert.fail(`golden file ${relPath} is missing; run UPDATE_GOLDEN=1 npm test and commit it`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from golden ${relPath} (UPDATE_GOLDEN=1 to accept)`);
}
