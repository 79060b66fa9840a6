import type { Sequelize } from 'sequelize';
import type { Config } from '../../config.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { QueueOptions } from '../../platform/queues.js';
import type { AccountsService } from '../accounts/index.js';
import { createEmailQueue } from './notifications.jobs.js';
import { defineNotificationModels } from './notifications.models.js';
import { createNotificationsRepository } from './notifications.repository.js';
import { notificationsRoutes } from './notifications.router.js';
import { createEmailRecords, createNotificationsService, type OrderLookup } from './notifications.service.js';
import { createSesMailer } from './ses-mailer.js';

export type { OrderLookup } from './notifications.service.js';
export { EMAIL_QUEUE, SEND_EMAIL } from './notifications.jobs.js';

/** Notifications: transactional email (SES) fed by committed domain events, through a Bull queue. */
export function createNotificationsModule(deps: {
  sequelize: Sequelize;
  events: EventBus;
  accounts: AccountsService;
  mail: Config['mail'];
  queueOptions: QueueOptions;
  logger: Logger;
}) {
  const { mail, events, logger } = deps;
  const repository = createNotificationsRepository(defineNotificationModels(deps.sequelize));
  const routes = notificationsRoutes({ emails: createEmailRecords(repository) });

  if (!mail.enabled) {
    return {
      routes,
      useOrderLookup(_lookup: OrderLookup): void {},
      start(): Promise<void> {
        logger.info('email is off (MAIL_ENABLED=false, or no SES_ENDPOINT outside production)');
        return Promise.resolve();
      },
      async stop(): Promise<void> {},
    };
  }

  const mailer = createSesMailer(mail);
  const emailQueue = createEmailQueue({
    queueOptions: deps.queueOptions,
    maxAttempts: mail.maxAttempts,
    retryDelayMs: mail.retryDelayMs,
    logger,
  });
  const service = createNotificationsService({
    repository,
    accounts: deps.accounts,
    mailer,
    scheduler: emailQueue.scheduler,
    options: {
      defaultLocale: mail.defaultLocale,
      timeZone: mail.timeZone,
      publicWebUrl: mail.publicWebUrl,
      paymentReminderBeforeMs: mail.paymentReminderBeforeMs,
      maxAttempts: mail.maxAttempts,
    },
    logger,
  });
  // Subscribed in every process, workers or not: the outbox publishes an event in the process that
  // committed it, and the email must be recorded there; any worker process then sends it.
  events.subscribe('account.registered', (event) => service.onAccountRegistered(event));
  events.subscribe('order.placed', (event) => service.onOrderPlaced(event));
  events.subscribe('order.paid', (event) => service.onOrderPaid(event));
  events.subscribe('order.cancelled', (event) => service.onOrderCancelled(event));

  return {
    routes,
    /** Lets the payment reminder check the order's current state (`OrdersService.findOrder`). */
    useOrderLookup: (lookup: OrderLookup): void => service.useOrderLookup(lookup),
    /** Runs the email worker in this process. */
    start: () => emailQueue.start(service),
    async stop(): Promise<void> {
      await emailQueue.stop();
      mailer.close();
    },
  };
}
