/**
 * Zone-token keys and revocations from the store: global secrets `zone-token-signing-key-<N>`
 * (base64 of PEM PKCS#1) and `zone-token-revocations` (base64 of "jti1,jti2"). Everything is
 * cached (imported keys cost far more than a verification) and invalidated by the store's change
 * feed, so the dp-server's hot path never touches the store.
 */
import { InternalError, NotFoundError, UnavailableError, isZonectlError } from '../../core/errors.js';
import {
  importSigningKey,
  importVerificationKey,
  parsePrivateKey,
  parsePublicKey,
  parseRevocations,
  REVOCATIONS_SECRET,
  SIGNING_KEY_PREFIX,
  signingKeySecretName,
  signingKeySerial,
  signingPublicKeySecretName,
  signingPublicKeySerial,
  type SigningKey,
  type VerificationKey,
  type ZoneTokenKeySource,
} from '../../tokens/index.js';
import type { Store, Unsubscribe } from '../store/types.js';

export const SECRET_TYPE = 'GlobalSecret';

/** Decoded bytes of a global secret, or undefined when it does not exist. */
export async function readGlobalSecret(store: Store, name: string): Promise<Buffer | undefined> {
  try {
    const { resource } = await store.get({ type: SECRET_TYPE, name });
    return Buffer.from(String(resource.data ?? ''), 'base64');
  } catch (err) {
    if (err instanceof NotFoundError || (isZonectlError(err) && err.code === 'not-found')) return undefined;
    throw err;
  }
}

/** Serials of the stored signing keys, ascending. */
export async function signingKeySerials(store: Store): Promise<number[]> {
  const { items } = await store.list({ type: SECRET_TYPE, nameContains: `${SIGNING_KEY_PREFIX}-` });
  return items
    .map((i) => signingKeySerial(i.resource.name))
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
}

export class StoreKeySource implements ZoneTokenKeySource {
  private readonly publicKeys = new Map<number, Promise<VerificationKey | undefined>>();
  private readonly resolved = new Map<number, VerificationKey[]>();
  private signing: Promise<SigningKey> | undefined;
  private revocations: Promise<Set<string>> | undefined;
  /** The loaded revocation list, for synchronous answers. */
  private revokedIds: Set<string> | undefined;
  private readonly unsubscribe: Unsubscribe;

  constructor(private readonly store: Store) {
    this.unsubscribe = store.watch((change) => {
      if (change.key.type !== SECRET_TYPE) return;
      const serial = signingKeySerial(change.key.name) ?? signingPublicKeySerial(change.key.name);
      if (serial !== undefined) {
        this.publicKeys.delete(serial);
        this.resolved.delete(serial);
        this.signing = undefined;
      } else if (change.key.name === REVOCATIONS_SECRET) {
        this.revocations = undefined;
        this.revokedIds = undefined;
      }
    });
  }

  close(): void {
    this.unsubscribe();
  }

  verificationKeys(kid: number): Promise<VerificationKey[]> | VerificationKey[] {
    const ready = this.resolved.get(kid);
    if (ready) return ready;
    let p = this.publicKeys.get(kid);
    if (!p) {
      // Negative results are cached too (an unknown kid must not cost a store read per request);
      // a later create of that secret invalidates the entry through the change feed.
      p = this.loadPublicKey(kid);
      this.forgetOnFailure(p, () => this.publicKeys.get(kid) === p && this.publicKeys.delete(kid));
      this.publicKeys.set(kid, p);
      const loading = p;
      // Once loaded, answer synchronously until the change feed says the secret changed.
      p.then((k) => this.publicKeys.get(kid) === loading && this.resolved.set(kid, k ? [k] : []), () => undefined);
    }
    return p.then((k) => (k ? [k] : []));
  }

  describeMissingKey(kid: number): string {
    // Kuma's wording (pkg/core/tokens SigningKeyNotFound), so operators can search for it.
    return `there is no signing key with serial number ${kid}. GlobalSecret of name "${signingKeySecretName(kid)}" is not found. If signing key was rotated, regenerate the token`;
  }

  isRevoked(jti: string): boolean | Promise<boolean> {
    if (this.revokedIds) return this.revokedIds.has(jti);
    if (!this.revocations) {
      const p = readGlobalSecret(this.store, REVOCATIONS_SECRET).then((data) => parseRevocations(data?.toString('utf8') ?? ''));
      this.forgetOnFailure(p, () => this.revocations === p && (this.revocations = undefined));
      p.then((ids) => this.revocations === p && (this.revokedIds = ids), () => undefined);
      this.revocations = p;
    }
    return this.revocations.then((ids) => ids.has(jti));
  }

  /** The key that signs new tokens: the highest serial. */
  latestSigningKey(): Promise<SigningKey> {
    if (!this.signing) {
      const p = this.loadLatestSigningKey();
      this.forgetOnFailure(p, () => this.signing === p && (this.signing = undefined));
      this.signing = p;
    }
    return this.signing;
  }

  private async loadPublicKey(kid: number): Promise<VerificationKey | undefined> {
    const data = await readGlobalSecret(this.store, signingKeySecretName(kid));
    if (data !== undefined) return importVerificationKey(parseStored(data, kid));
    // A zone control plane holds only the public keys the global synced to it.
    const pub = await readGlobalSecret(this.store, signingPublicKeySecretName(kid));
    if (pub === undefined) return undefined;
    try {
      return importVerificationKey(parsePublicKey(pub, `GlobalSecret ${signingPublicKeySecretName(kid)}`));
    } catch (err) {
      throw new InternalError(`${(err as Error).message}; replace or delete that secret`);
    }
  }

  private async loadLatestSigningKey(): Promise<SigningKey> {
    const serials = await signingKeySerials(this.store);
    const kid = serials.at(-1);
    if (kid === undefined) {
      throw new UnavailableError(
        `there is no zone-token signing key (GlobalSecret ${SIGNING_KEY_PREFIX}-<N>); restart the control plane to create one, or PUT /global-secrets/${signingKeySecretName(1)} with a key from 'zonectl generate signing-key --format pem-base64'`,
      );
    }
    const data = await readGlobalSecret(this.store, signingKeySecretName(kid));
    if (data === undefined) return this.loadLatestSigningKey(); // deleted between list and get
    return { kid, key: await importSigningKey(parseStored(data, kid)) };
  }

  private forgetOnFailure(p: Promise<unknown>, forget: () => unknown): void {
    p.catch(() => forget());
  }
}

function parseStored(data: Buffer, kid: number) {
  try {
    return parsePrivateKey(data, `GlobalSecret ${signingKeySecretName(kid)}`);
  } catch (err) {
    // An operator stored something that is not a key: a server-side fault, not the caller's.
    throw new InternalError(`${(err as Error).message}; replace or delete that secret`);
  }
}
