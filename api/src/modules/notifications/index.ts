import type { Sequelize } from 'sequelize';
import type { Config } from '../../config.js';
import type { EventBus } from '../../platform/events.js';
import type { Route } from '../../platform/http/route.js';
import type { Logger } from '../../platform/logger.js';
import type { QueueOptions } from '../../platform/queues.js';
import type { AccountsService } from '../accounts/index.js';

/** Notifications: transactional email (SES) fed by committed domain events, through a Bull queue. */
export function createNotificationsModule(deps: {
  sequelize: Sequelize;
  events: EventBus;
  accounts: AccountsService;
  mail: Config['mail'];
  queueOptions: QueueOptions;
  logger: Logger;
}) {
  void deps;
  const routes: Route[] = [];
  return {
    routes,
    /** Subscribes to events and runs the email worker in this process. */
    async start(): Promise<void> {},
    async stop(): Promise<void> {},
  };
}
