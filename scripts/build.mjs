#!/usr/bin/env node
// Build: generated code first (steps in scripts/build.d/0*.mjs, in name order, e.g. compiling the
// JSON Schemas to ajv standalone validators under src/), then tsc, then the other steps (bundles),
// then the oclif manifest. Output is assembled in a private directory and swapped into dist/ with
// renames, so a test that is running bin/run.js during a rebuild never sees a half-written dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
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
const outDir = join(root, `.dist-build-${process.pid}`);
rmSync(outDir, { recursive: true, force: true });

async function runSteps(filter) {
  for (const step of steps.filter(filter)) {
    const mod = await import(pathToFileURL(join(stepsDir, step)).href);
    // Steps get the final root and the directory that becomes dist/.
    await mod.default({ root, outDir });
  }
}

await runSteps((s) => s.startsWith('0'));
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', outDir]);
await runSteps((s) => !s.startsWith('0'));

const dist = join(root, 'dist');
const old = join(root, `.dist-old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(outDir, dist);
rmSync(old, { recursive: true, force: true });
run(process.execPath, [join(root, 'node_modules', 'oclif', 'bin', 'run.js'), 'manifest']);
