/**
 * Fast paths: commands whose start-up time matters in CI loops (`validate`) are dispatched here
 * before oclif loads. Each entry must accept exactly the flags its oclif command declares (it reads
 * them from the same flag table) and must return false for anything it does not handle (e.g.
 * `--help`), so oclif stays the one source of help, errors and the README.
 * Bundled by scripts/build.d/50-fast.mjs to dist/fast/index.js.
 */
export type FastPath = (argv: string[]) => Promise<boolean>;

const fastPaths: Record<string, () => Promise<FastPath>> = {};

export function registerFastPath(command: string, load: () => Promise<FastPath>): void {
  fastPaths[command] = load;
}

export async function tryFastPath(argv: string[]): Promise<boolean> {
  const [command, ...rest] = argv;
  const load = command === undefined ? undefined : fastPaths[command];
  if (!load) return false;
  if (command !== '__complete' && rest.some((a) => a === '--help' || a === '-h')) return false;
  return (await load())(rest);
}

registerFastPath('validate', async () => (await import('./validate/fast.js')).validateFast);
registerFastPath('__complete', async () => (await import('./completion/fast.js')).completeFast);
