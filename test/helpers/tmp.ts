import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temporary directory, removed when the test (or suite) ends. */
export function tmpDir(t: Pick<TestContext, 'after'> | { after: (fn: () => void) => void }, prefix = 'zonectl-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
