#!/usr/bin/env node
// Build: generated code first (steps in scripts/build.d/*.mjs, run in name order, e.g. compiling
// the JSON Schemas to ajv standalone validators), then tsc to dist/, then bundles and the oclif
// manifest. Kept as one script so `npm install` (prepare) and `npm test` build the same way.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function run(cmd, args) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (res.status !== 0) {
    console.error(`build failed: ${cmd} ${args.join(' ')} exited ${res.status}`);
    process.exit(res.status ?? 1);
  }
}

const stepsDir = join(root, 'scripts', 'build.d');
const steps = existsSync(stepsDir) ? readdirSync(stepsDir).filter((f) => f.endsWith('.mjs')).sort() : [];

for (const step of steps.filter((s) => s.startsWith('0'))) {
  const mod = await import(pathToFileURL(join(stepsDir, step)).href);
  await mod.default({ root });
}
rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
for (const step of steps.filter((s) => !s.startsWith('0'))) {
  const mod = await import(pathToFileURL(join(stepsDir, step)).href);
  await mod.default({ root });
}
run(process.execPath, [join(root, 'node_modules', 'oclif', 'bin', 'run.js'), 'manifest']);
