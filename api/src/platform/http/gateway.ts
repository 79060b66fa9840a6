import { InvalidAccessToken, type AccessTokenVerifier } from '@vitrine/contracts/access-token';
import type { RequestHandler } from 'express';

/**
 * Headers a client might send to pose as someone. Nothing in Vitrine reads them, and they are
 * dropped here so that nothing downstream (a proxy, a future module) ever could.
 */
const IDENTITY_HEADER = /^x-(user|auth|authenticated|identity|forwarded-user|remote-user)(-|$)/i;

/**
 * The one place that verifies access tokens. It sets `req.identity` to the verified
 * `{userId, role}` or null; routes decide whether they need one (see `mountRoutes`).
 */
export function gateway(verifyAccessToken: AccessTokenVerifier): RequestHandler {
  return async (req, _res, next) => {
    for (const header of Object.keys(req.headers)) {
      if (IDENTITY_HEADER.test(header)) delete req.headers[header];
    }
    req.identity = null;
    const authorization = req.headers.authorization;
    if (!authorization) return next();

    const [scheme, token] = authorization.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      req.identityRefusal = 'Authorization must be "Bearer <accessToken>"';
      return next();
    }
    try {
      req.identity = await verifyAccessToken(token);
    } catch (error) {
      if (!(error instanceof InvalidAccessToken)) return next(error);
      req.identityRefusal = 'Invalid or expired access token';
    }
    next();
  };
}
