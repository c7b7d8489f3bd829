// Bundles the CLI's fast paths (src/cli/fast.ts and what it imports) into one ESM file, so
// `zonectl validate` and friends start without resolving hundreds of modules.
import { build } from 'esbuild';
import { join } from 'node:path';

export default async function ({ root, outDir }) {
  await build({
    entryPoints: [join(root, 'src', 'cli', 'fast.ts')],
    outfile: join(outDir, 'fast', 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Whitespace and syntax only (names stay readable in stack traces): less to parse at every start.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: false,
    logLevel: 'warning',
    // Native and heavy modules stay external; a fast path must not need them anyway.
    external: ['better-sqlite3', '@oclif/core', 'pino', 'prom-client'],
    banner: { js: "import { createRequire as __zcCreateRequire } from 'node:module'; const require = __zcCreateRequire(import.meta.url);" },
  });
}
