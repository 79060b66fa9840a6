import type { Role } from '@vitrine/contracts';

/** Who is calling, as verified by the gateway; domain modules see nothing else of the token. */
export interface Identity {
  userId: string;
  role: Role;
}

declare global {
  // Express's own extension point for request fields.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the gateway only; null when the request carries no valid access token. */
      identity?: Identity | null;
      /** Why a presented access token was refused, for the 401 message. */
      identityRefusal?: string;
      /** The exact bytes of a JSON body, for signature checks (payment webhooks). */
      rawBody?: Buffer;
    }
  }
}
