import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Config } from '../../config.js';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Hands messages to an email provider; answers the provider's message id. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  close(): void;
}

/** How a failed send should be treated: tried again later, or recorded as refused for good. */
export interface SendFailure {
  retryable: boolean;
  /** The provider's error code (`MessageRejected`, `Throttling`) or the network error's. */
  code: string;
  message: string;
  httpStatus?: number;
}

/** SES (and AWS-wide) error codes that mean "slow down", answered with a 400 but worth retrying. */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
]);

interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Throttling, 5xx answers and network failures are transient; any other refusal by SES (a bad or
 * unverified address, `MessageRejected`, a paused account) is permanent: sending the same message
 * again would be refused again.
 */
export function classifySendError(error: unknown): SendFailure {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  const name = typeof shape.name === 'string' && shape.name !== 'Error' ? shape.name : undefined;
  const code = name ?? (typeof shape.code === 'string' ? shape.code : 'UnknownError');
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  const status = shape.$metadata?.httpStatusCode;
  const httpStatus = typeof status === 'number' ? status : undefined;
  const retryable =
    httpStatus === undefined || // no answer at all: refused connection, timeout, reset
    httpStatus >= 500 ||
    httpStatus === 429 ||
    shape.$fault === 'server' ||
    THROTTLING_CODES.has(code);
  return { retryable, code, message, ...(httpStatus !== undefined ? { httpStatus } : {}) };
}

/**
 * SES through `SendEmailCommand`. The SDK's own retries are off (`maxAttempts: 1`): the email queue
 * retries with exponential backoff instead, so every attempt is counted and visible in `sent_emails`.
 */
export function createSesMailer(mail: Config['mail']): Mailer {
  const client = new SESClient({
    region: mail.awsRegion,
    ...(mail.sesEndpoint ? { endpoint: mail.sesEndpoint } : {}),
    ...(mail.credentials ? { credentials: mail.credentials } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  });
  return {
    async send(email) {
      const answer = await client.send(
        new SendEmailCommand({
          Source: mail.from,
          // The bare address: a display name would have to be MIME-encoded and could carry header syntax.
          Destination: { ToAddresses: [email.to] },
          Message: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: email.text, Charset: 'UTF-8' },
              Html: { Data: email.html, Charset: 'UTF-8' },
            },
          },
        }),
      );
      return { messageId: answer.MessageId ?? '' };
    },
    close() {
      client.destroy();
    },
  };
}
