/**
 * The tokens API module: `POST /tokens/zone` (Kuma's endpoint: mint a zone token, admin only,
 * 200 text/plain) and `POST /tokens/zone/verify` (zonectl's: the verdict of this control plane's
 * verifier on a token, for `inspect zone-token --verify`). Its start hook creates signing key 1.
 */
import { isTokenError, parseZoneTokenRequest, isZoneTokenScope, ZONE_TOKEN_SCOPES } from '../../tokens/index.js';
import { ValidationError } from '../../core/errors.js';
import type { ApiContext, ApiModuleInstance } from '../server/types.js';
import { ensureSigningKey } from './bootstrap.js';
import { zoneTokenService, type ZoneTokenOptions } from './service.js';

/** The `--json` / wire shape of `POST /tokens/zone/verify`. */
export type ZoneTokenVerdict =
  | { valid: true; kid: number; zone: string; scope: string[]; jti: string; exp: number }
  | { valid: false; reason: string; message: string };

export function tokensModule(ctx: ApiContext): ApiModuleInstance {
  const opts = ctx.options as ZoneTokenOptions;
  return {
    async start() {
      // Loads --zone-token-public-key files first, so a bad file stops the start before any write.
      await zoneTokenService(ctx);
      // A zone verifies with the public keys the global syncs to it and mints nothing.
      if (ctx.mode !== 'zone') await ensureSigningKey(ctx.store, ctx.log);
    },
    async stop() {
      (await zoneTokenService(ctx).catch(() => undefined))?.close();
    },
    routes: [
      {
        method: 'POST',
        path: '/tokens/zone',
        access: 'admin',
        errorTitle: 'Could not issue a token',
        async handle(req) {
          const request = parseZoneTokenRequest(await req.body(), { allowUnboundedTokens: opts.allowUnboundedTokens === true });
          if (ctx.mode === 'zone') throw new ValidationError(zoneIssuerDisabled(ctx.zone, request.zone, request.scope), [], 'Could not issue a token');
          const token = await (await zoneTokenService(ctx)).issue(request);
          return { status: 200, body: token, headers: { 'content-type': 'text/plain' } };
        },
      },
      {
        method: 'POST',
        path: '/tokens/zone/verify',
        access: 'admin',
        errorTitle: 'Could not verify a token',
        async handle(req) {
          const { token, scope } = parseVerifyRequest(await req.body());
          try {
            const { kid, claims } = await (await zoneTokenService(ctx)).verifier.verify(token, scope);
            const verdict: ZoneTokenVerdict = { valid: true, kid, zone: claims.Zone, scope: claims.Scope, jti: claims.jti, exp: claims.exp };
            return { status: 200, body: verdict };
          } catch (err) {
            if (!isTokenError(err)) throw err;
            const verdict: ZoneTokenVerdict = { valid: false, reason: err.reason, message: err.message };
            return { status: 200, body: verdict };
          }
        },
      },
    ],
  };
}

function parseVerifyRequest(body: unknown): { token: string; scope?: (typeof ZONE_TOKEN_SCOPES)[number] } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const violations = [];
  if (typeof b.token !== 'string' || b.token === '') violations.push({ field: 'token', message: 'cannot be empty' });
  if (b.scope !== undefined && !isZoneTokenScope(b.scope)) {
    violations.push({ field: 'scope', message: `${JSON.stringify(b.scope)} is not a valid scope; valid scopes: ${ZONE_TOKEN_SCOPES.join(', ')}` });
  }
  if (violations.length > 0) throw new ValidationError('Resource is not valid', violations, 'Invalid request');
  return { token: b.token as string, scope: b.scope as (typeof ZONE_TOKEN_SCOPES)[number] | undefined };
}

/**
 * Kuma's answer when the issuer is off (pkg/core/tokens/issuer.go, IssuerDisabled), with why and
 * the command to run instead: in a multizone deployment zone tokens are minted on the global.
 */
export function zoneIssuerDisabled(thisZone: string, zone: string, scope: readonly string[]): string {
  const scopes = (scope.length ? scope : ['egress']).map((s) => ` --scope ${s}`).join('');
  return (
    `issuing tokens using the control plane is disabled. This is the zone control plane of zone ${thisZone} in a multizone deployment: ` +
    `zone tokens are minted on the global control plane. Run 'zonectl generate zone-token --zone ${zone || thisZone}${scopes} --valid-for 720h' against the global`
  );
}
