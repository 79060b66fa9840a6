import type { EmailLocale, EmailStatus, EmailTemplate } from '@vitrine/contracts';
import { Op, UniqueConstraintError, literal, type Attributes, type WhereOptions } from 'sequelize';
import { v7 as uuidv7 } from 'uuid';
import type { NotificationModels, SentEmailRow } from './notifications.models.js';

export interface EmailRecord {
  id: string;
  dedupeKey: string;
  template: EmailTemplate;
  locale: EmailLocale;
  userId: string | null;
  orderId: string | null;
  recipient: string;
  subject: string;
  params: unknown;
  status: EmailStatus;
  attempts: number;
  lastError: string | null;
  skippedReason: string | null;
  providerMessageId: string | null;
  sendAfter: Date | null;
  claimedAt: Date | null;
  sentAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewEmail = Pick<
  EmailRecord,
  'dedupeKey' | 'template' | 'locale' | 'userId' | 'orderId' | 'recipient' | 'subject' | 'params' | 'sendAfter'
>;

/** Statuses from which a send may still start. */
export const SENDABLE: readonly EmailStatus[] = ['SCHEDULED', 'PENDING', 'RETRYING'];

/** Long error texts (stack-like SDK messages) are cut to what an operator reads. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const toRecord = (row: SentEmailRow): EmailRecord => ({
  id: row.id,
  dedupeKey: row.dedupeKey,
  template: row.template,
  locale: row.locale,
  userId: row.userId ?? null,
  orderId: row.orderId ?? null,
  recipient: row.recipient,
  subject: row.subject,
  params: JSON.parse(row.params) as unknown,
  status: row.status,
  attempts: row.attempts,
  lastError: row.lastError ?? null,
  skippedReason: row.skippedReason ?? null,
  providerMessageId: row.providerMessageId ?? null,
  sendAfter: row.sendAfter ?? null,
  claimedAt: row.claimedAt ?? null,
  sentAt: row.sentAt ?? null,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export function createNotificationsRepository({ SentEmail }: NotificationModels) {
  /** Moves one row from one of `from` to a new state; answers whether this caller made the move. */
  async function move(id: string, from: readonly EmailStatus[], changes: Changes): Promise<boolean> {
    const [changed] = await SentEmail.update(changes, { where: { id, status: [...from] } });
    return changed === 1;
  }

  return {
    /**
     * Records an email once per dedupe key. A second call with the same key (an event delivered
     * again, by this process or another) answers the existing row and `created: false`.
     */
    async createOnce(email: NewEmail): Promise<{ email: EmailRecord; created: boolean }> {
      try {
        const row = await SentEmail.create({
          ...email,
          id: uuidv7(),
          params: JSON.stringify(email.params),
          subject: clip(email.subject, 300),
          status: email.sendAfter ? 'SCHEDULED' : 'PENDING',
        });
        return { email: toRecord(row), created: true };
      } catch (error) {
        if (!(error instanceof UniqueConstraintError)) throw error;
        const existing = await SentEmail.findOne({ where: { dedupeKey: email.dedupeKey } });
        if (!existing) throw error;
        return { email: toRecord(existing), created: false };
      }
    },

    async findById(id: string): Promise<EmailRecord | null> {
      const row = await SentEmail.findByPk(id);
      return row ? toRecord(row) : null;
    },

    async findByKey(dedupeKey: string): Promise<EmailRecord | null> {
      const row = await SentEmail.findOne({ where: { dedupeKey } });
      return row ? toRecord(row) : null;
    },

    /**
     * The check-and-mark before a send: one conditional UPDATE moves the row to SENDING and counts
     * the attempt. Only one caller can win it, so a job that runs twice sends once.
     */
    claim: (id: string, at: Date) =>
      move(id, SENDABLE, { status: 'SENDING', claimedAt: at, attempts: literal('attempts + 1') }),

    markSent: (id: string, providerMessageId: string, at: Date) =>
      move(id, ['SENDING'], { status: 'SENT', providerMessageId: clip(providerMessageId, 200), sentAt: at }),

    markRetrying: (id: string, error: string) =>
      move(id, ['SENDING'], { status: 'RETRYING', lastError: clip(error, 2000) }),

    markFailed: (id: string, error: string) =>
      move(id, ['SENDING'], { status: 'FAILED', lastError: clip(error, 2000) }),

    markSkipped: (id: string, reason: string) =>
      move(id, SENDABLE, { status: 'SKIPPED', skippedReason: clip(reason, 200) }),

    /**
     * Rows whose queue job may have been lost (Redis emptied, a crash between insert and enqueue):
     * pending or retrying and untouched for a while, or scheduled and overdue.
     */
    async findStranded(since: { untouchedSince: Date; dueBefore: Date }, limit: number): Promise<EmailRecord[]> {
      const rows = await SentEmail.findAll({
        where: {
          [Op.or]: [
            { status: ['PENDING', 'RETRYING'], updatedAt: { [Op.lt]: since.untouchedSince } },
            { status: 'SCHEDULED', sendAfter: { [Op.lt]: since.dueBefore } },
          ],
        },
        order: [['createdAt', 'ASC']],
        limit,
      });
      return rows.map(toRecord);
    },

    /**
     * A row still SENDING long after its claim belongs to a process that stopped during the SES call:
     * whether SES took the message is unknown, so it is closed as FAILED rather than risk a duplicate.
     */
    async failAbandonedSends(claimedBefore: Date): Promise<number> {
      const [changed] = await SentEmail.update(
        {
          status: 'FAILED',
          lastError: 'outcome unknown: the sending process stopped during the SES call; not sent again',
        },
        { where: { status: 'SENDING', claimedAt: { [Op.lt]: claimedBefore } } },
      );
      return changed;
    },

    async list(filter: {
      status?: EmailStatus | undefined;
      template?: EmailTemplate | undefined;
      orderId?: string | undefined;
      recipient?: string | undefined;
      offset: number;
      limit: number;
    }): Promise<{ items: EmailRecord[]; total: number }> {
      const where: WhereOptions<SentEmailRow> = {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.template ? { template: filter.template } : {}),
        ...(filter.orderId ? { orderId: filter.orderId } : {}),
        ...(filter.recipient ? { recipient: filter.recipient } : {}),
      };
      const { rows, count } = await SentEmail.findAndCountAll({
        where,
        order: [
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        offset: filter.offset,
        limit: filter.limit,
      });
      return { items: rows.map(toRecord), total: count };
    },
  };
}
export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;

type Changes = { [K in keyof Attributes<SentEmailRow>]?: Attributes<SentEmailRow>[K] | ReturnType<typeof literal> };
