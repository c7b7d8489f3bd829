#!/usr/bin/env node
// Entry point. `--version` is answered before oclif loads (`zonectl version` is a command: it
// also asks the control plane): CI scripts call it in loops and oclif's
// start-up would triple its cost. Everything else goes through oclif, except the commands that
// register a fast path in dist/fast/ (see scripts/build.d and src/cli/fast.ts).
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`zonectl/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  let handled = false;
  try {
    const fast = await import('../dist/fast/index.js');
    handled = await fast.tryFastPath(argv);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  if (!handled) {
    const { execute } = await import('@oclif/core');
    await execute({ dir: import.meta.url });
  }
}
