import type Queue from 'bull';
import type { Logger } from '../../platform/logger.js';
import {
  createQueue,
  registerProcessors,
  withTrace,
  type QueueOptions,
  type TracedJob,
  closeQueue,
} from '../../platform/queues.js';
import type { EmailScheduler, NotificationsService } from './notifications.service.js';

export const EMAIL_QUEUE = 'email';
export const SEND_EMAIL = 'notifications.send-email';
const JOB_NAMES = [SEND_EMAIL] as const;

export interface SendEmailJob extends TracedJob {
  emailId: string;
}

/** One job id per email: Bull ignores a second add while the first job exists. */
const sendJobId = (emailId: string) => `email-${emailId}`;

const RESUME_INTERVAL_MS = 30_000;

/**
 * The Bull `email` queue: one job per email, delayed for scheduled ones (payment reminders),
 * retried with exponential backoff on transient SES failures. `sent_emails` stays the truth: a
 * periodic pass queues again whatever lost its job.
 */
export function createEmailQueue(deps: {
  queueOptions: QueueOptions;
  maxAttempts: number;
  retryDelayMs: number;
  logger: Logger;
}) {
  const { logger } = deps;
  const queue: Queue.Queue<SendEmailJob> = createQueue(EMAIL_QUEUE, deps.queueOptions);
  let resumer: NodeJS.Timeout | undefined;

  const scheduler: EmailScheduler = {
    async enqueue(emailId, runAt) {
      await queue.add(SEND_EMAIL, withTrace<SendEmailJob>({ emailId }), {
        jobId: sendJobId(emailId),
        delay: runAt ? Math.max(0, runAt.getTime() - Date.now()) : 0,
        attempts: deps.maxAttempts,
        backoff: { type: 'exponential', delay: deps.retryDelayMs },
        // The outcome lives in sent_emails; a finished job may go, so a lost email can be queued again.
        removeOnComplete: true,
        removeOnFail: true,
      });
    },
    async cancel(emailId) {
      const job = await queue.getJob(sendJobId(emailId));
      // A job already running can't be removed; its own state check skips the send.
      await job?.remove().catch(() => undefined);
    },
  };

  return {
    queue,
    scheduler,

    /** Runs the email worker in this process, and the periodic pass over stranded emails. */
    async start(service: NotificationsService): Promise<void> {
      registerProcessors(
        queue,
        JOB_NAMES,
        { [SEND_EMAIL]: { concurrency: 10, run: (job) => service.deliver(job.emailId) } },
        logger,
      );
      const resume = () =>
        service
          .resumeStranded()
          .catch((error: unknown) => logger.warn('resuming stranded emails failed', { err: error }));
      await resume();
      resumer = setInterval(() => void resume(), RESUME_INTERVAL_MS);
      resumer.unref();
    },

    async stop(): Promise<void> {
      if (resumer) clearInterval(resumer);
      await closeQueue(queue);
    },
  };
}
export type EmailQueue = ReturnType<typeof createEmailQueue>;
