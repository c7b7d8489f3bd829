// Builds the web view (web/, served by the control plane at /gui) into dist/web/: one ES module
// bundle and one stylesheet under assets/, plus index.html. Everything the page needs is in these
// files (no CDN). Fails when the gzipped total passes the budget, so the page stays small.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Bytes, gzipped, of everything under dist/web (issue 18: < 200 KB). */
export const BUDGET_GZIP = 200 * 1024;

export default async function ({ root, outDir }) {
  const web = join(root, 'web');
  // A worktree rebased onto this step without `npm install` would fail deep inside esbuild.
  if (!existsSync(join(root, 'node_modules', 'preact', 'package.json'))) throw new Error("web view: the 'preact' package is missing; run 'npm install' (it is a devDependency since the web view)");
  const out = join(outDir, 'web');
  mkdirSync(join(out, 'assets'), { recursive: true });
  await build({
    entryPoints: { app: join(web, 'src', 'main.tsx') },
    outdir: join(out, 'assets'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Chromium, Firefox and Safari of the last ~3 years: no transpiling of modern syntax needed.
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    tsconfig: join(web, 'tsconfig.json'),
    loader: { '.css': 'css' },
  });
  cpSync(join(web, 'public'), out, { recursive: true });
  let total = 0;
  const sizes = [];
  const walk = (d, rel = '') => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      if (f.isDirectory()) walk(join(d, f.name), `${rel}${f.name}/`);
      else {
        const gz = gzipSync(readFileSync(join(d, f.name)), { level: 9 }).length;
        total += gz;
        sizes.push(`${rel}${f.name} ${gz}`);
      }
    }
  };
  walk(out);
  if (total > BUDGET_GZIP) throw new Error(`web view: ${total} bytes gzipped is over the ${BUDGET_GZIP} byte budget (${sizes.join(', ')})`);
  // Read by the tests (bundle budget) and handy when looking at a build.
  writeFileSync(join(outDir, 'web-sizes.json'), JSON.stringify({ gzipTotal: total, files: sizes }, null, 2) + '\n');
}
