/**
 * Signing key 1 at first start. Several control-plane instances may share one store and start
 * together, so the check-and-create runs under the store's cluster-wide lock.
 */
import { ConflictError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { generateSigningKeyPem, signingKeySecretName } from '../../tokens/index.js';
import type { Store } from '../store/types.js';
import { SECRET_TYPE, signingKeySerials } from './key-source.js';

export const SIGNING_KEY_LOCK = 'zone-token-signing-key';

/** Creates `zone-token-signing-key-1` unless some signing key exists; returns whether it did. */
export async function ensureSigningKey(store: Store, log?: Logger): Promise<boolean> {
  return store.withLock(SIGNING_KEY_LOCK, async () => {
    if ((await signingKeySerials(store)).length > 0) return false;
    const pem = await generateSigningKeyPem();
    try {
      await store.create({ type: SECRET_TYPE, name: signingKeySecretName(1), data: Buffer.from(pem).toString('base64') });
    } catch (err) {
      // Only reachable with a store whose lock is weaker than promised; the key exists either way.
      if (err instanceof ConflictError) return false;
      throw err;
    }
    log?.info({ secret: signingKeySecretName(1) }, 'created the zone-token signing key');
    return true;
  });
}
