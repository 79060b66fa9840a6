import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { AccessTokenVerifier } from '@vitrine/contracts/access-token';
import type { Config } from './config.js';
import { docsRouter } from './platform/http/docs.js';
import { errorHandler, unknownRoute } from './platform/http/error-handler.js';
import { gateway } from './platform/http/gateway.js';
import { requestContext } from './platform/http/request-context.js';
import { mountRoutes, type Route } from './platform/http/route.js';
import type { Logger } from './platform/logger.js';

export interface AppDeps {
  config: Pick<Config, 'http'>;
  logger: Logger;
  verifyAccessToken: AccessTokenVerifier;
  generalRateLimit: RequestHandler;
  routes: readonly Route[];
  openApiDocument: object;
}

/** request id → helmet → CORS → rate limit → JSON → cookies → gateway → module routes → 404 → errors */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.http.trustProxy);

  app.use(requestContext(deps.logger));
  app.use(helmet());
  app.use(cors({ origin: deps.config.http.corsOrigins, credentials: true }));
  app.use('/api', deps.generalRateLimit);
  app.use(
    express.json({
      limit: deps.config.http.bodyLimit,
      verify: (req, _res, buffer) => {
        (req as express.Request).rawBody = buffer;
      },
    }),
  );
  app.use(cookieParser());
  app.use('/api', gateway(deps.verifyAccessToken));

  const api = express.Router();
  mountRoutes(api, deps.routes);
  api.use('/docs', docsRouter(deps.openApiDocument));
  app.use('/api', api);

  app.use(unknownRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
