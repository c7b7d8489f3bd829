/**
 * Lazy, synchronous access to the `yaml` library. Loading it costs ~20-30 ms, more than the rest of
 * `zonectl validate one.yaml` together, so it is loaded only when a document needs it (a syntax
 * error, a construct the fast parser declines, or the position of a violation).
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

/** The `yaml` module, loaded on first use. */
export function yamlLib(): typeof Yaml {
  // A runtime require keeps bundlers from inlining the library into the fast path.
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}
