import { SignJWT, jwtVerify, errors } from 'jose';
import { LRUCache } from 'lru-cache';
import { Role } from './accounts.js';

/**
 * The access token is a contract between the API (which issues it) and every process that
 * trusts it (the API gateway and the realtime server), so its rules live here once.
 */
export const ACCESS_TOKEN_ISSUER = 'vitrine';
export const ACCESS_TOKEN_AUDIENCE = 'vitrine';
const ACCESS_TOKEN_USE = 'access';

export interface VerifiedIdentity {
  userId: string;
  role: Role;
}

export class InvalidAccessToken extends Error {
  constructor(reason: string) {
    super(`invalid access token: ${reason}`);
    this.name = 'InvalidAccessToken';
  }
}

export function accessTokenKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signAccessToken(
  identity: VerifiedIdentity,
  key: Uint8Array,
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({ role: identity.role, token_use: ACCESS_TOKEN_USE })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(identity.userId)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}

/** Verifies signature (HS256 only), expiry, issuer, audience and token use; throws InvalidAccessToken otherwise. */
export async function verifyAccessToken(token: string, key: Uint8Array): Promise<VerifiedIdentity> {
  return (await verifyWithExpiry(token, key)).identity;
}

async function verifyWithExpiry(
  token: string,
  key: Uint8Array,
): Promise<{ identity: VerifiedIdentity; expiresAtMs: number }> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      requiredClaims: ['exp', 'sub'],
    });
    const role = Role.safeParse(payload['role']);
    if (payload['token_use'] !== ACCESS_TOKEN_USE || !role.success || typeof payload.sub !== 'string') {
      throw new InvalidAccessToken('wrong token type or claims');
    }
    return { identity: { userId: payload.sub, role: role.data }, expiresAtMs: (payload.exp ?? 0) * 1000 };
  } catch (error) {
    if (error instanceof InvalidAccessToken) throw error;
    if (error instanceof errors.JOSEError) throw new InvalidAccessToken(error.code);
    throw new InvalidAccessToken('malformed');
  }
}

export type AccessTokenVerifier = (token: string) => Promise<VerifiedIdentity>;

/**
 * `verifyAccessToken` that remembers the tokens it accepted until they expire. A client sends the
 * same token with every request of its life, and checking its HMAC again each time was a tenth of
 * the API's CPU under load. Only accepted tokens are remembered (the cache key is the whole token,
 * signature included), and a remembered one is refused from its `exp` on, as jose would.
 */
export function createAccessTokenVerifier(key: Uint8Array, options: { remember?: number } = {}): AccessTokenVerifier {
  const accepted = new LRUCache<string, { identity: VerifiedIdentity; expiresAtMs: number }>({
    max: options.remember ?? 10_000,
  });
  return async (token) => {
    const known = accepted.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return known.identity;
      accepted.delete(token);
    }
    const verified = await verifyWithExpiry(token, key);
    Object.freeze(verified.identity);
    accepted.set(token, verified);
    return verified.identity;
  };
}
