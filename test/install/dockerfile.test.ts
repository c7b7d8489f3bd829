/**
 * The image runs what the npm package ships: the runtime stage of the Dockerfile copies exactly
 * the top-level entries `npm pack` puts in the tarball (plus the production node_modules), runs
 * as the non-root user the manifests name, and has zonectl as its entrypoint.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cli.js';

test("the Dockerfile's runtime stage copies exactly npm pack's files, runs non-root, zonectl as entrypoint", async () => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  const packed = new Set((JSON.parse(stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path.split('/')[0]));
  const dockerfile = readFileSync(`${ROOT}/Dockerfile`, 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;
  const copied = new Set([...runtime.matchAll(/^COPY --from=build \/app\/(\S+) \.\/(\S+)$/gm)].map((m) => {
    assert.equal(m[1], m[2], 'copied to the same relative path');
    return m[1];
  }));
  assert.ok(copied.delete('node_modules'), 'production dependencies are copied');
  assert.deepEqual([...copied].sort(), [...packed].sort());
  assert.doesNotMatch(runtime, /^COPY (?!--from=build)/m, 'nothing from the build context goes into the runtime stage');
  assert.match(runtime, /^USER 5678:5678$/m);
  assert.match(runtime, /^ENTRYPOINT \["node", "\/app\/bin\/run\.js"\]$/m);
  assert.match(stages[0], /npm prune --omit=dev/);
});
