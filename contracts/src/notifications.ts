import { Id, IsoDateTime, PageQuery } from './common.js';
import { z } from './zod.js';

/** The transactional emails Vitrine sends, one per domain moment. */
export const EmailTemplate = z.enum([
  'welcome',
  'order-placed',
  'payment-reminder',
  'payment-received',
  'order-expired',
]);
export type EmailTemplate = z.infer<typeof EmailTemplate>;

/** Languages the email templates are written in. */
export const EmailLocale = z.enum(['ko', 'en']);
export type EmailLocale = z.infer<typeof EmailLocale>;

/**
 * Where one email is in its life: `SCHEDULED` (waits for its time, e.g. a payment reminder), `PENDING`
 * (queued), `SENDING` (handed to SES), `RETRYING` (a transient SES error; it will be tried again), then
 * `SENT`, `FAILED` (SES refused it for good, or it ran out of attempts) or `SKIPPED` (no longer relevant,
 * e.g. the reminder of an order paid meanwhile).
 */
export const EmailStatus = z.enum(['SCHEDULED', 'PENDING', 'SENDING', 'RETRYING', 'SENT', 'FAILED', 'SKIPPED']);
export type EmailStatus = z.infer<typeof EmailStatus>;

/** The record of one transactional email, as administrators see it. */
export const SentEmail = z
  .object({
    id: Id,
    template: EmailTemplate,
    locale: EmailLocale,
    recipient: z.string(),
    subject: z.string(),
    status: EmailStatus,
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    skippedReason: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    userId: Id.nullable(),
    orderId: Id.nullable(),
    sendAfter: IsoDateTime.nullable(),
    sentAt: IsoDateTime.nullable(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('SentEmail');
export type SentEmail = z.infer<typeof SentEmail>;

export const AdminEmailQuery = PageQuery.extend({
  status: EmailStatus.optional(),
  template: EmailTemplate.optional(),
  orderId: Id.optional(),
  recipient: z.string().trim().toLowerCase().max(254).optional(),
}).strict();
export type AdminEmailQuery = z.infer<typeof AdminEmailQuery>;

export const AdminEmailList = z
  .object({ items: z.array(SentEmail), total: z.number().int(), page: z.number().int(), limit: z.number().int() })
  .openapi('AdminEmailList');
export type AdminEmailList = z.infer<typeof AdminEmailList>;
