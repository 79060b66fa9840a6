import type { RequestHandler } from 'express';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../../platform/logger.js';
import type { Outbox } from '../../platform/outbox.js';
import { defineAccountModels } from './accounts.models.js';
import { createAccountsRepository } from './accounts.repository.js';
import { accountsRoutes } from './accounts.router.js';
import { createAccountsService, type AccountsOptions } from './accounts.service.js';

export type { AccountsService } from './accounts.service.js';

/** Accounts: registration, login, sessions (refresh token rotation) and the admin bootstrap. */
export function createAccountsModule(deps: {
  sequelize: Sequelize;
  outbox: Outbox;
  logger: Logger;
  options: AccountsOptions & { cookieSecure: boolean };
  loginRateLimits: RequestHandler[];
}) {
  const repository = createAccountsRepository(defineAccountModels(deps.sequelize));
  const service = createAccountsService({
    sequelize: deps.sequelize,
    repository,
    outbox: deps.outbox,
    logger: deps.logger,
    options: deps.options,
  });
  return {
    service,
    routes: accountsRoutes({
      accounts: service,
      cookieSecure: deps.options.cookieSecure,
      loginRateLimits: deps.loginRateLimits,
    }),
  };
}
