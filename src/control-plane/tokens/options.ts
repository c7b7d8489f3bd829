/**
 * The zone-token flags of `zonectl control-plane run`, turned into ApiContext.options
 * (see ZoneTokenOptions). Kept here so the run command only forwards them.
 */
import type { ZoneTokenOptions } from './service.js';

export function zoneTokenRunOptions(flags: Record<string, unknown>): ZoneTokenOptions {
  const keys = flags['zone-token-public-key'];
  return {
    allowUnboundedTokens: flags['allow-unbounded-tokens'] === true,
    zoneTokenPublicKeys: Array.isArray(keys) ? keys.map(String) : typeof keys === 'string' ? [keys] : [],
  };
}
