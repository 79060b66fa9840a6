import { SignJWT, jwtVerify, errors } from 'jose';
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
    return { userId: payload.sub, role: role.data };
  } catch (error) {
    if (error instanceof InvalidAccessToken) throw error;
    if (error instanceof errors.JOSEError) throw new InvalidAccessToken(error.code);
    throw new InvalidAccessToken('malformed');
  }
}
