import {
  EmailLocale,
  type AdminEmailList,
  type AdminEmailQuery,
  type EmailTemplate,
  type OrderStatus,
  type SentEmail,
} from '@vitrine/contracts';
import type { DomainEvents, OrderEventPayload } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { AccountsService } from '../accounts/index.js';
import {
  parseEmailContent,
  renderEmail,
  type EmailContent,
  type RenderContext,
  type RenderedEmail,
} from './email-templates.js';
import { SENDABLE, type EmailRecord, type NotificationsRepository } from './notifications.repository.js';
import { classifySendError, type Mailer } from './ses-mailer.js';

/** What the reminder needs to know about an order at send time; `OrdersService.findOrder` fits. */
export type OrderLookup = (
  orderId: string,
) => Promise<{ status: OrderStatus; expiresAt: Date; paidAt: Date | null } | null>;

/** Where send jobs go; implemented with the Bull `email` queue in notifications.jobs.ts. */
export interface EmailScheduler {
  /** Queues the send of this email, at `runAt` or now; queuing one twice queues it once. */
  enqueue(emailId: string, runAt?: Date): Promise<void>;
  cancel(emailId: string): Promise<void>;
}

export interface NotificationOptions {
  defaultLocale: EmailLocale;
  timeZone: string;
  publicWebUrl: string;
  paymentReminderBeforeMs: number;
  maxAttempts: number;
}

/** Thrown by a send that failed transiently; the queue tries it again with exponential backoff. */
export class EmailRetryLater extends Error {
  override name = 'EmailRetryLater';
}

/** An email still PENDING or RETRYING this long is assumed to have lost its queue job, and is queued again. */
const STRANDED_AFTER_MS = 60_000;
/** A scheduled email this far past its time has lost its delayed job (Bull fires them within milliseconds). */
const OVERDUE_AFTER_MS = 10_000;
/** Far longer than one SES call may take (3 s to connect, 10 s to answer). */
const ABANDONED_SEND_AFTER_MS = 120_000;

/**
 * The event, the aggregate and the template: stable however often the event is delivered. Each
 * order event happens once per order (the state machine allows one placement, one payment, one
 * cancellation), so this is the event's identity.
 */
const dedupeKey = (event: keyof DomainEvents, aggregateId: string, template: EmailTemplate) =>
  `${event}:${aggregateId}:${template}`;

const toSentEmailDto = (email: EmailRecord): SentEmail => ({
  id: email.id,
  template: email.template,
  locale: email.locale,
  recipient: email.recipient,
  subject: email.subject,
  status: email.status,
  attempts: email.attempts,
  lastError: email.lastError,
  skippedReason: email.skippedReason,
  providerMessageId: email.providerMessageId,
  userId: email.userId,
  orderId: email.orderId,
  sendAfter: email.sendAfter?.toISOString() ?? null,
  sentAt: email.sentAt?.toISOString() ?? null,
  createdAt: email.createdAt.toISOString(),
  updatedAt: email.updatedAt.toISOString(),
});

/** The read side, which works whether or not this deployment sends email. */
export function createEmailRecords(repository: NotificationsRepository) {
  return {
    async listEmails(query: AdminEmailQuery): Promise<AdminEmailList> {
      const found = await repository.list({
        status: query.status,
        template: query.template,
        orderId: query.orderId,
        recipient: query.recipient,
        offset: (query.page - 1) * query.limit,
        limit: query.limit,
      });
      return { items: found.items.map(toSentEmailDto), total: found.total, page: query.page, limit: query.limit };
    },
  };
}
export type EmailRecords = ReturnType<typeof createEmailRecords>;

/**
 * Transactional email: each committed domain event becomes one `sent_emails` row (once, whatever
 * the number of deliveries), whose id is queued; the queue job renders and sends it through SES,
 * claiming the row first so that it is sent at most once, and retries transient failures.
 */
export function createNotificationsService(deps: {
  repository: NotificationsRepository;
  accounts: Pick<AccountsService, 'getUser'>;
  mailer: Mailer;
  scheduler: EmailScheduler;
  options: NotificationOptions;
  logger: Logger;
}) {
  const { repository, accounts, mailer, scheduler, options, logger } = deps;
  let orderLookup: OrderLookup | undefined;

  const contextFor = (locale: EmailLocale): RenderContext => ({
    locale,
    timeZone: options.timeZone,
    webUrl: options.publicWebUrl,
  });

  /** The user's own language once accounts keep one; the configured default until then. */
  const localeOf = (user: { locale?: string | null }): EmailLocale =>
    EmailLocale.safeParse(user.locale).data ?? options.defaultLocale;

  /** Records the email once per dedupe key and queues it; a duplicate delivery queues nothing new. */
  async function queueEmail(input: {
    dedupeKey: string;
    content: EmailContent;
    recipient: { userId: string; email: string; locale?: string | null };
    orderId?: string;
    sendAfter?: Date;
  }): Promise<void> {
    const locale = localeOf(input.recipient);
    const { subject } = renderEmail(input.content, contextFor(locale));
    const { email, created } = await repository.createOnce({
      dedupeKey: input.dedupeKey,
      template: input.content.template,
      locale,
      userId: input.recipient.userId,
      orderId: input.orderId ?? null,
      recipient: input.recipient.email,
      subject,
      params: input.content.params,
      sendAfter: input.sendAfter ?? null,
    });
    // Already sent, failed or skipped: an event delivered again changes nothing.
    if (!created && !SENDABLE.includes(email.status)) return;
    // Queued again when it already exists: covers a crash between the insert and the first enqueue.
    await scheduler.enqueue(email.id, email.sendAfter ?? undefined);
    if (created) {
      logger.info('email queued', {
        email: { local_id: email.id },
        labels: { email_template: email.template },
        event: { action: 'email-queued' },
      });
    }
  }

  const orderParams = (event: OrderEventPayload, name: string) => ({
    name,
    orderId: event.orderId,
    items: event.items,
    total: event.total,
    currency: event.currency,
  });

  async function skipReminder(orderId: string, reason: string): Promise<void> {
    const reminder = await repository.findByKey(dedupeKey('order.placed', orderId, 'payment-reminder'));
    if (reminder && (await repository.markSkipped(reminder.id, reason))) await scheduler.cancel(reminder.id);
  }

  /** Why a payment reminder should no longer go out, or null if it should. */
  async function reminderObsolete(orderId: string | null, expiresAt: string): Promise<string | null> {
    if (Date.parse(expiresAt) <= Date.now()) return 'the payment deadline has passed';
    if (!orderId || !orderLookup) return null;
    const order = await orderLookup(orderId);
    if (!order) return 'the order no longer exists';
    return order.status === 'PENDING_PAYMENT' ? null : `the order is ${order.status}`;
  }

  return {
    /** Orders are created after notifications in the wiring, so their lookup is bound afterwards. */
    useOrderLookup(lookup: OrderLookup): void {
      orderLookup = lookup;
    },

    async onAccountRegistered(event: DomainEvents['account.registered']): Promise<void> {
      await queueEmail({
        dedupeKey: dedupeKey('account.registered', event.userId, 'welcome'),
        content: { template: 'welcome', params: { name: event.name } },
        recipient: { userId: event.userId, email: event.email },
      });
    },

    /** The order confirmation now, and the payment reminder for shortly before the deadline. */
    async onOrderPlaced(event: OrderEventPayload): Promise<void> {
      const user = await accounts.getUser(event.userId);
      const recipient = { ...user, userId: user.id };
      await queueEmail({
        dedupeKey: dedupeKey('order.placed', event.orderId, 'order-placed'),
        content: { template: 'order-placed', params: { ...orderParams(event, user.name), expiresAt: event.expiresAt } },
        recipient,
        orderId: event.orderId,
      });
      const lead = options.paymentReminderBeforeMs;
      const remindAt = new Date(Date.parse(event.expiresAt) - lead);
      // No reminder when the whole payment window is shorter than the lead: the confirmation says it all.
      if (lead === 0 || remindAt.getTime() <= Date.now()) return;
      await queueEmail({
        dedupeKey: dedupeKey('order.placed', event.orderId, 'payment-reminder'),
        content: {
          template: 'payment-reminder',
          params: {
            ...orderParams(event, user.name),
            expiresAt: event.expiresAt,
            minutesLeft: Math.max(1, Math.round(lead / 60_000)),
          },
        },
        recipient,
        orderId: event.orderId,
        sendAfter: remindAt,
      });
    },

    async onOrderPaid(event: OrderEventPayload): Promise<void> {
      await skipReminder(event.orderId, 'the order was paid');
      const user = await accounts.getUser(event.userId);
      const paidAt = (await orderLookup?.(event.orderId))?.paidAt ?? new Date();
      await queueEmail({
        dedupeKey: dedupeKey('order.paid', event.orderId, 'payment-received'),
        content: {
          template: 'payment-received',
          params: { ...orderParams(event, user.name), paidAt: paidAt.toISOString() },
        },
        recipient: { ...user, userId: user.id },
        orderId: event.orderId,
      });
    },

    /** Cancels the reminder; an order cancelled by PAYMENT_TIMEOUT also gets its cancellation notice. */
    async onOrderCancelled(event: OrderEventPayload): Promise<void> {
      await skipReminder(event.orderId, `the order was cancelled (${event.cancelReason ?? 'unknown reason'})`);
      if (event.cancelReason !== 'PAYMENT_TIMEOUT') return;
      const user = await accounts.getUser(event.userId);
      await queueEmail({
        dedupeKey: dedupeKey('order.cancelled', event.orderId, 'order-expired'),
        content: { template: 'order-expired', params: orderParams(event, user.name) },
        recipient: { ...user, userId: user.id },
        orderId: event.orderId,
      });
    },

    /**
     * The send job: claims the email (one conditional UPDATE, so a job that runs twice sends once),
     * renders it and hands it to SES. A transient failure throws EmailRetryLater until the last
     * attempt; a permanent one is recorded as FAILED and logged, and never reaches the order.
     */
    async deliver(emailId: string): Promise<void> {
      const email = await repository.findById(emailId);
      if (!email || !SENDABLE.includes(email.status)) return;
      let content: EmailContent;
      let message: RenderedEmail;
      try {
        content = parseEmailContent(email.template, email.params);
        message = renderEmail(content, contextFor(email.locale));
      } catch (error) {
        // Retrying would fail the same way (a poison message): close it instead.
        if (await repository.claim(email.id, new Date())) {
          await repository.markFailed(
            email.id,
            `not renderable: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        logger.error('email not renderable; not sent', {
          err: error,
          email: { local_id: email.id },
          labels: { email_template: email.template },
          event: { action: 'email-render', outcome: 'failure' },
        });
        return;
      }
      if (content.template === 'payment-reminder') {
        const reason = await reminderObsolete(email.orderId, content.params.expiresAt);
        if (reason) {
          if (await repository.markSkipped(email.id, reason)) {
            logger.info('payment reminder skipped', {
              email: { local_id: email.id },
              order: { id: email.orderId },
              event: { action: 'email-skipped', reason },
            });
          }
          return;
        }
      }
      if (!(await repository.claim(email.id, new Date()))) return;
      const attempt = email.attempts + 1;
      const logFields = {
        email: { local_id: email.id, subject: message.subject },
        labels: { email_template: email.template, email_attempt: attempt },
        user: { id: email.userId },
      };

      let messageId: string;
      try {
        ({ messageId } = await mailer.send({ to: email.recipient, ...message }));
      } catch (error) {
        const failure = classifySendError(error);
        const described = `${failure.code}${failure.httpStatus ? ` (HTTP ${failure.httpStatus})` : ''}: ${failure.message}`;
        if (failure.retryable && attempt < options.maxAttempts) {
          await repository.markRetrying(email.id, described);
          logger.warn('email not sent; it will be retried', {
            ...logFields,
            err: error,
            event: { action: 'email-send', outcome: 'failure', reason: failure.code },
          });
          throw new EmailRetryLater(described, { cause: error });
        }
        await repository.markFailed(email.id, described);
        logger.error(
          failure.retryable ? 'email not sent after its last attempt' : 'email refused by SES; not retried',
          { ...logFields, err: error, event: { action: 'email-send', outcome: 'failure', reason: failure.code } },
        );
        return;
      }
      // Outside the try: a failure to record the success must not be taken for a failed send and retried.
      await repository.markSent(email.id, messageId, new Date());
      logger.info('email sent', {
        ...logFields,
        email: { ...logFields.email, message_id: messageId },
        event: { action: 'email-send', outcome: 'success' },
      });
    },

    /**
     * Queues again emails whose job was lost, and closes sends abandoned mid-call. Safe in every
     * process at once: queuing uses the email's job id, and closing is a conditional UPDATE.
     */
    async resumeStranded(now = new Date()): Promise<{ requeued: number; abandoned: number }> {
      const abandoned = await repository.failAbandonedSends(new Date(now.getTime() - ABANDONED_SEND_AFTER_MS));
      if (abandoned > 0) {
        logger.error('email sends abandoned mid-call closed as FAILED; they are not sent again', {
          event: { action: 'email-abandoned', outcome: 'failure' },
          labels: { email_abandoned: abandoned },
        });
      }
      const stranded = await repository.findStranded(
        {
          untouchedSince: new Date(now.getTime() - STRANDED_AFTER_MS),
          dueBefore: new Date(now.getTime() - OVERDUE_AFTER_MS),
        },
        500,
      );
      for (const email of stranded) await scheduler.enqueue(email.id, email.sendAfter ?? undefined);
      return { requeued: stranded.length, abandoned };
    },

    ...createEmailRecords(repository),
  };
}
export type NotificationsService = ReturnType<typeof createNotificationsService>;
