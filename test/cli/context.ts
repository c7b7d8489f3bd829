/**
 * A config file with one context pointing at a test control plane, for tests that drive the CLI
 * through runCli. Reusable by any area: `env` goes straight into runCli's options.
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { writeConfig, type ApiServerConfig } from '../../src/cli/config-file.js';
import { tmpDir } from '../helpers/tmp.js';

export const FIXED_CLOCK = '2019-07-17T18:08:41Z';

export interface CliContext {
  /** ZONECTL_CONFIG, HOME (so nothing touches the real ~/.zonectl) and ZONECTL_FIXED_CLOCK. */
  env: Record<string, string>;
  configFile: string;
  dir: string;
}

export function cliContext(t: Pick<TestContext, 'after'>, url: string, api: Partial<ApiServerConfig> = {}, opts: { mesh?: string } = {}): CliContext {
  const dir = tmpDir(t, 'zonectl-cli-');
  const configFile = join(dir, 'config');
  writeConfig(configFile, {
    controlPlanes: [{ name: 'test', coordinates: { apiServer: { url, ...api } } }],
    contexts: [{ name: 'test', controlPlane: 'test', ...(opts.mesh ? { defaults: { mesh: opts.mesh } } : {}) }],
    currentContext: 'test',
  });
  return { env: { ZONECTL_CONFIG: configFile, HOME: dir, ZONECTL_FIXED_CLOCK: FIXED_CLOCK }, configFile, dir };
}
