/**
 * The control plane's zone-token service: one per control plane (per ApiContext), shared by the
 * tokens API module and the egress dp-server, so both use the same key caches.
 *
 *   const { verifier } = await zoneTokenService(ctx);
 *   const { claims } = await verifier.verify(bearerToken, 'egress'); // or throws TokenError
 */
import { isZonectlError, UsageError } from '../../core/errors.js';
import {
  combineKeySources,
  createZoneTokenVerifier,
  isTokenError,
  parsePublicKeyFlag,
  readPublicKeyFile,
  signZoneToken,
  staticKeySource,
  type ZoneTokenKeySource,
  type ZoneTokenRequest,
  type ZoneTokenVerifier,
} from '../../tokens/index.js';
import type { CpMetrics } from '../metrics/metrics.js';
import type { ApiContext } from '../server/types.js';
import { StoreKeySource } from './key-source.js';

export interface ZoneTokenService {
  /** Verifies with every stored signing key plus `--zone-token-public-key` keys, against ctx.zone. */
  verifier: ZoneTokenVerifier;
  keySource: ZoneTokenKeySource;
  /** Signs with the highest-serial stored signing key. */
  issue(req: ZoneTokenRequest): Promise<string>;
  close(): void;
}

/** ApiContext.options keys this feature reads. */
export interface ZoneTokenOptions {
  /** `--allow-unbounded-tokens`: a request without validFor gets Kuma's 10 years instead of a 400. */
  allowUnboundedTokens?: boolean;
  /** `--zone-token-public-key` values, `KID=FILE` (PKCS#1 or PKIX PEM). */
  zoneTokenPublicKeys?: string[];
}

const services = new WeakMap<ApiContext, Promise<ZoneTokenService>>();

export function zoneTokenService(ctx: ApiContext): Promise<ZoneTokenService> {
  let s = services.get(ctx);
  if (!s) {
    s = createService(ctx);
    services.set(ctx, s);
    s.catch(() => services.delete(ctx));
  }
  return s;
}

async function createService(ctx: ApiContext): Promise<ZoneTokenService> {
  const stored = new StoreKeySource(ctx.store);
  try {
    const statics = await loadStaticKeys(ctx.options as ZoneTokenOptions);
    const keySource = statics ? combineKeySources(stored, statics) : stored;
    return {
      keySource,
      // A global has no zone of its own: the KDS server compares the token's zone with the connecting zone's name.
      verifier: counted(createZoneTokenVerifier({ keySource, zone: ctx.mode === 'global' ? undefined : ctx.zone, clock: ctx.clock }), ctx.metrics),
      issue: async (req) => signZoneToken(req, await stored.latestSigningKey(), { clock: ctx.clock }),
      close: () => stored.close(),
    };
  } catch (err) {
    stored.close();
    throw err;
  }
}

async function loadStaticKeys(opts: ZoneTokenOptions): Promise<ZoneTokenKeySource | undefined> {
  const values = opts.zoneTokenPublicKeys ?? [];
  if (values.length === 0) return undefined;
  const flag = '--zone-token-public-key';
  const keys = await Promise.all(
    values.map((v) => {
      const { kid, path } = parsePublicKeyFlag(v);
      return readPublicKeyFile(path, kid, flag);
    }),
  );
  try {
    return await staticKeySource(keys);
  } catch (err) {
    if (isZonectlError(err) && err.code === 'validation') throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
}

/** Every verification counted by required scope and result: `ok`, or the verifier's reason code. */
function counted(verifier: ZoneTokenVerifier, metrics: CpMetrics | undefined): ZoneTokenVerifier {
  if (!metrics) return verifier;
  return {
    ...verifier,
    async verify(token, requiredScope) {
      const scope = requiredScope ?? 'any';
      try {
        const out = await verifier.verify(token, requiredScope);
        metrics.tokenVerification(scope, 'ok');
        return out;
      } catch (err) {
        metrics.tokenVerification(scope, isTokenError(err) ? err.reason : 'error');
        throw err;
      }
    },
  };
}
