import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Order, SentEmail } from '@vitrine/contracts';
import request from 'supertest';
import { createQueue } from '../../platform/queues.js';
import { redisKeys } from '../../platform/redis.js';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';
import { REDIS_URL } from '../../../test/support/test-env.js';
import {
  ADMIN,
  ADMIN_ENV,
  bearer,
  createAddress,
  createProduct,
  buildRegistration,
  loginUser,
  registerUser,
  type SignedInUser,
} from '../../../test/support/factories.js';
import { EMAIL_QUEUE, SEND_EMAIL } from './index.js';

const WEB_URL = 'https://shop.example';
const PAYMENT_TTL_MS = 4_000;
const REMINDER_BEFORE_MS = 2_000;
/** How long to keep watching after an email arrived, to see that no second copy follows. */
const SETTLE_MS = 1_000;

/** What aws-ses-v2-local keeps of each message, read back through its `GET /store`. */
interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

const freePort = async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
};

/** A real aws-ses-v2-local process on a free port, as `npm start` runs it. */
async function startSesEmulator() {
  const port = await freePort();
  const binary = fileURLToPath(new URL('../../../../node_modules/.bin/aws-ses-v2-local', import.meta.url));
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('server running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`aws-ses-v2-local exited with ${code}: ${output}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async emailsTo(recipient: string): Promise<StoredEmail[]> {
      const store = (await (await fetch(`${url}/store`)).json()) as { emails: StoredEmail[] };
      return store.emails.filter((email) => email.destination.to.includes(recipient));
    },
    async all(): Promise<StoredEmail[]> {
      return ((await (await fetch(`${url}/store`)).json()) as { emails: StoredEmail[] }).emails;
    },
    async stop() {
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

interface Fault {
  status: number;
  code: string;
  message: string;
}
const sesError = ({ code, message, status }: Fault) =>
  `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>test</RequestId></ErrorResponse>`;

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * A real HTTP hop between the API and the emulator that answers SES errors for chosen recipients
 * (a queue of one-off faults, or a refusal every time) and forwards everything else untouched.
 */
async function startFaultyProxy(target: string) {
  const oneOff = new Map<string, Fault[]>();
  const always = new Map<string, Fault>();
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const recipient = new URLSearchParams(body.toString()).get('Destination.ToAddresses.member.1') ?? '';
      seen.set(recipient, (seen.get(recipient) ?? 0) + 1);
      const fault = oneOff.get(recipient)?.shift() ?? always.get(recipient);
      if (fault) {
        res.writeHead(fault.status, { 'content-type': 'text/xml' }).end(sesError(fault));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (entry): entry is [string, string] =>
            typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0]),
        ),
      );
      const answer = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body });
      res
        .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' })
        .end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: unknown) => res.writeHead(599).end(String(error)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failNext: (recipient: string, faults: Fault[]) => oneOff.set(recipient, [...faults]),
    refuseAlways: (recipient: string, fault: Fault) => always.set(recipient, fault),
    requestsFor: (recipient: string) => seen.get(recipient) ?? 0,
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Two digits, for the times the tests compute themselves. */
const pad = (n: number) => String(n).padStart(2, '0');
/** The deadline's wall-clock parts in Seoul (UTC+9, no daylight saving), worked out without Intl. */
function inSeoul(iso: string) {
  const at = new Date(Date.parse(iso) + 9 * 3_600_000);
  return {
    year: at.getUTCFullYear(),
    month: at.getUTCMonth() + 1,
    day: at.getUTCDate(),
    time: `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`,
  };
}
const MONTHS = 'January February March April May June July August September October November December'.split(' ');

let ses: Awaited<ReturnType<typeof startSesEmulator>>;
let proxy: Awaited<ReturnType<typeof startFaultyProxy>>;

before(async () => {
  ses = await startSesEmulator();
  proxy = await startFaultyProxy(ses.url);
});
after(async () => {
  await proxy.stop();
  await ses.stop();
});

/** An API whose mail goes through the proxy to the emulator, with short payment windows. */
function mailingApi(locale: 'ko' | 'en') {
  const context = {} as { api: TestApi; admin: SignedInUser };
  before(async () => {
    context.api = await startTestApi({
      ...ADMIN_ENV,
      SES_ENDPOINT: proxy.url,
      MAIL_DEFAULT_LOCALE: locale,
      PUBLIC_WEB_URL: WEB_URL,
      ORDER_PAYMENT_TTL_MS: String(PAYMENT_TTL_MS),
      PAYMENT_REMINDER_BEFORE_MS: String(REMINDER_BEFORE_MS),
      MAIL_RETRY_DELAY_MS: '200',
      MAIL_MAX_ATTEMPTS: '4',
    });
    context.admin = await loginUser(context.api.url, ADMIN.email, ADMIN.password);
  });
  after(() => context.api.stop());

  /** Registers a shopper (accounts publishes `account.registered`), then delivers the event once more, as at-least-once delivery may. */
  const register = async (overrides: { name?: string; email?: string } = {}) => {
    const shopper = await registerUser(context.api.url, overrides);
    context.api.events.publish('account.registered', {
      userId: shopper.user.id,
      email: shopper.user.email,
      name: shopper.user.name,
    });
    return shopper;
  };

  const placeOrder = async (shopper: SignedInUser, product: { name?: string; price?: number } = {}) => {
    const addressId = await createAddress(context.api.url, shopper);
    const productId = await createProduct(context.api.url, context.admin, { price: 12900, stock: 5, ...product });
    const order = (
      await request(context.api.url)
        .post('/api/orders')
        .set(bearer(shopper))
        .send({ items: [{ productId, quantity: 2 }], addressId })
        .expect(201)
    ).body as Order;
    return { order, productId };
  };

  const pay = (shopper: SignedInUser, orderId: string) =>
    request(context.api.url)
      .post(`/api/orders/${orderId}/pay`)
      .set(bearer(shopper))
      .send({ method: 'sandbox', token: 'tok_ok' })
      .expect(200);

  const emailRecords = async (query: Record<string, string>) =>
    (
      (await request(context.api.url).get('/api/admin/emails').query(query).set(bearer(context.admin)).expect(200))
        .body as { items: SentEmail[] }
    ).items;

  /** Waits for the one email with this subject, then checks that no second copy follows. */
  const theOnlyEmail = async (recipient: string, subject: string) => {
    const first = await eventually(`"${subject}" to ${recipient}`, async () =>
      (await ses.emailsTo(recipient)).find((email) => email.subject === subject),
    );
    await sleep(SETTLE_MS);
    const copies = (await ses.emailsTo(recipient)).filter((email) => email.subject === subject);
    assert.equal(copies.length, 1, `exactly one "${subject}" to ${recipient}`);
    assert.deepEqual(first.destination.to, [recipient]);
    assert.equal(first.from, 'Vitrine <no-reply@vitrine.local>');
    return { text: first.body.text ?? '', html: first.body.html ?? '' };
  };

  const recordOf = async (recipient: string, template: SentEmail['template'], status: SentEmail['status']) =>
    eventually(`${template} ${status} for ${recipient}`, async () =>
      (await emailRecords({ recipient })).find((email) => email.template === template && email.status === status),
    );

  return { context, register, placeOrder, pay, emailRecords, theOnlyEmail, recordOf };
}

describe('transactional email in Korean (the default locale), through SES', () => {
  const { context, register, placeOrder, pay, emailRecords, theOnlyEmail, recordOf } = mailingApi('ko');

  it('when a shopper registers, then exactly one Korean welcome email reaches them', async () => {
    const shopper = await register({ name: '김지민' });
    const { text, html } = await theOnlyEmail(shopper.user.email, '[Vitrine] 가입을 환영합니다');
    assert.match(text, /김지민님, Vitrine에 오신 것을 환영합니다!/);
    assert.match(html, /<html lang="ko">/);
    assert.match(html, /김지민님/);
    const [record] = await emailRecords({ recipient: shopper.user.email });
    assert.equal(record?.status, 'SENT');
    assert.equal(record?.attempts, 1);
    assert.ok(record?.providerMessageId);
  });

  it('when an order is placed and paid, then its confirmation and receipt arrive once each and the reminder is skipped', async () => {
    const shopper = await register({ name: '이서연' });
    const { order } = await placeOrder(shopper, { name: '백자 머그' });
    await pay(shopper, order.id);

    const placed = await theOnlyEmail(shopper.user.email, '[Vitrine] 주문이 접수되었습니다');
    const deadline = inSeoul(order.expiresAt);
    assert.match(placed.text, /이서연님, 주문해 주셔서 감사합니다/);
    assert.match(placed.text, /- 백자 머그 \(2개 × 12,900원\): 25,800원/);
    assert.match(placed.text, /합계: 25,800원/);
    assert.ok(
      placed.text.includes(`${deadline.year}년 ${deadline.month}월 ${deadline.day}일`) &&
        placed.text.includes(`${deadline.time} (한국 표준시)까지 결제를 완료해 주세요`),
      `the deadline in KST: ${placed.text}`,
    );
    assert.ok(placed.text.includes(`${WEB_URL}/orders/${order.id}`));
    assert.match(placed.html, /백자 머그/);

    const receipt = await theOnlyEmail(shopper.user.email, '[Vitrine] 결제가 완료되었습니다 (영수증)');
    assert.match(receipt.text, /결제 금액: 25,800원/);
    assert.ok(receipt.text.includes(order.id));

    const reminder = await recordOf(shopper.user.email, 'payment-reminder', 'SKIPPED');
    assert.match(reminder.skippedReason ?? '', /paid|PAID/);
    // Past the deadline: a paid order gets no cancellation notice either.
    await sleep(Math.max(0, Date.parse(order.expiresAt) + 1_500 - Date.now()));
    const subjects = (await ses.emailsTo(shopper.user.email)).map((email) => email.subject).sort();
    assert.deepEqual(
      subjects,
      ['[Vitrine] 가입을 환영합니다', '[Vitrine] 결제가 완료되었습니다 (영수증)', '[Vitrine] 주문이 접수되었습니다'],
      'no reminder and no cancellation for a paid order',
    );
  });

  it('when an order is left unpaid, then a reminder comes before the deadline and a cancellation with product links after it', async () => {
    const shopper = await register();
    const { order, productId } = await placeOrder(shopper, { name: '린넨 앞치마' });

    const reminder = await theOnlyEmail(shopper.user.email, '[Vitrine] 결제 기한이 1분 남았습니다');
    assert.match(reminder.text, /결제 금액: 25,800원/);
    assert.ok(reminder.text.includes(`${WEB_URL}/orders/${order.id}`));
    const reminderRecord = await recordOf(shopper.user.email, 'payment-reminder', 'SENT');
    assert.ok(Date.parse(reminderRecord.sentAt ?? '') < Date.parse(order.expiresAt), 'sent before the deadline');

    const cancelled = await theOnlyEmail(shopper.user.email, '[Vitrine] 결제 기한이 지나 주문이 취소되었습니다');
    assert.match(cancelled.text, /잡아 두었던 재고는 다시 판매 중입니다/);
    assert.ok(cancelled.text.includes(`${WEB_URL}/products/${productId}`));
    assert.ok(cancelled.html.includes(`href="${WEB_URL}/products/${productId}"`));
    const current = await request(context.api.url).get(`/api/orders/${order.id}`).set(bearer(shopper)).expect(200);
    assert.equal(current.body.cancelReason, 'PAYMENT_TIMEOUT');
  });

  it('when an event is delivered again and a send job runs twice, then the email is still sent once', async () => {
    const shopper = await register();
    const { order } = await placeOrder(shopper);
    await pay(shopper, order.id);
    await theOnlyEmail(shopper.user.email, '[Vitrine] 결제가 완료되었습니다 (영수증)');

    // The outbox delivers at least once: the same committed event, three more times at once.
    const paid = { ...order, orderId: order.id, status: 'PAID' as const };
    for (let i = 0; i < 3; i++) context.api.events.publish('order.paid', paid);
    // And a second job for the already-sent email (a stalled job picked up again).
    const receipt = await recordOf(shopper.user.email, 'payment-received', 'SENT');
    const queue = createQueue<{ emailId: string; traceId?: string }>(EMAIL_QUEUE, {
      redisUrl: REDIS_URL,
      prefix: redisKeys(context.api.store.redisKeyPrefix).bull,
    });
    try {
      const job = await queue.add(SEND_EMAIL, { emailId: receipt.id }, { jobId: `again-${receipt.id}` });
      await job.finished();
    } finally {
      await queue.close();
    }
    await theOnlyEmail(shopper.user.email, '[Vitrine] 결제가 완료되었습니다 (영수증)');
    const records = (await emailRecords({ recipient: shopper.user.email })).filter(
      (email) => email.template === 'payment-received',
    );
    assert.equal(records.length, 1);
    assert.equal(records[0]?.attempts, 1);
  });

  it('when SES answers 500 and then throttles, then the email is retried with backoff and delivered once', async () => {
    const email = buildRegistration().email;
    proxy.failNext(email, [
      { status: 500, code: 'InternalFailure', message: 'We encountered an internal error.' },
      { status: 400, code: 'Throttling', message: 'Maximum sending rate exceeded.' },
    ]);
    const shopper = await registerUser(context.api.url, { email });
    await theOnlyEmail(shopper.user.email, '[Vitrine] 가입을 환영합니다');
    const record = await recordOf(shopper.user.email, 'welcome', 'SENT');
    assert.equal(record.attempts, 3);
    assert.match(record.lastError ?? '', /Throttling/);
    assert.equal(proxy.requestsFor(shopper.user.email), 3);
  });

  it('when SES rejects the address for good, then the failure is recorded, not retried, and the order goes on', async () => {
    const email = buildRegistration().email;
    proxy.refuseAlways(email, {
      status: 400,
      code: 'MessageRejected',
      message: 'Email address is not verified.',
    });
    const shopper = await registerUser(context.api.url, { email });
    await recordOf(email, 'welcome', 'FAILED');
    const { order } = await placeOrder(shopper);
    const failed = await recordOf(shopper.user.email, 'order-placed', 'FAILED');
    assert.equal(failed.attempts, 1);
    assert.match(failed.lastError ?? '', /MessageRejected.*not verified/);

    const paid = await pay(shopper, order.id);
    assert.equal(paid.body.status, 'PAID');
    await recordOf(shopper.user.email, 'payment-received', 'FAILED');
    await sleep(SETTLE_MS);
    assert.equal(proxy.requestsFor(shopper.user.email), 3, 'one try per email (welcome, placed, received), no retries');
    assert.equal((await ses.emailsTo(shopper.user.email)).length, 0);
  });

  it('when a name or product name carries markup, then it is escaped in the HTML part', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const shopper = await register({ name: hostile });
    const welcome = await theOnlyEmail(shopper.user.email, '[Vitrine] 가입을 환영합니다');
    assert.ok(!welcome.html.includes('<img'), welcome.html);
    assert.ok(welcome.html.includes('&lt;img src=x onerror=alert(1)&gt;님'));
    assert.ok(welcome.text.includes(`${hostile}님`), 'the text part shows the name as typed');

    await placeOrder(shopper, { name: '<script>alert("mug")</script> & co' });
    const placed = await theOnlyEmail(shopper.user.email, '[Vitrine] 주문이 접수되었습니다');
    assert.ok(!placed.html.includes('<script') && !placed.html.includes('<img'), placed.html);
    assert.ok(placed.html.includes('&lt;script&gt;alert(&quot;mug&quot;)&lt;/script&gt; &amp; co'));
  });

  it('when someone who is not an admin lists the emails, then 403; an admin pages through them', async () => {
    const shopper = await registerUser(context.api.url);
    const refused = await request(context.api.url).get('/api/admin/emails').set(bearer(shopper)).expect(403);
    assert.equal(refused.body.error.code, 'FORBIDDEN');
    const page = await request(context.api.url)
      .get('/api/admin/emails')
      .query({ limit: 2, status: 'SENT' })
      .set(bearer(context.admin))
      .expect(200);
    assert.equal(page.body.items.length, 2);
    assert.ok(page.body.total >= 2);
    assert.deepEqual([page.body.page, page.body.limit], [1, 2]);
    for (const email of page.body.items as SentEmail[]) assert.equal(email.status, 'SENT');
    await request(context.api.url)
      .get('/api/admin/emails')
      .query({ status: 'LOST' })
      .set(bearer(context.admin))
      .expect(400);
  });
});

describe('transactional email in English', () => {
  const { register, placeOrder, pay, theOnlyEmail } = mailingApi('en');

  it('when a shopper registers, orders and pays, then the welcome, confirmation and receipt are in English', async () => {
    const shopper = await register({ name: 'Jimin Kim' });
    const welcome = await theOnlyEmail(shopper.user.email, '[Vitrine] Welcome to Vitrine');
    assert.match(welcome.text, /Welcome to Vitrine, Jimin Kim!/);
    assert.match(welcome.html, /<html lang="en">/);

    const { order } = await placeOrder(shopper, { name: 'Porcelain mug' });
    const placed = await theOnlyEmail(shopper.user.email, '[Vitrine] We have received your order');
    const deadline = inSeoul(order.expiresAt);
    assert.match(placed.text, /- Porcelain mug \(2 × ₩12,900\): ₩25,800/);
    assert.match(placed.text, /Total: ₩25,800/);
    assert.ok(
      placed.text.includes(`${MONTHS[deadline.month - 1]} ${deadline.day}, ${deadline.year} at ${deadline.time}`) &&
        placed.text.includes('(Korean Standard Time)'),
      `the deadline in KST: ${placed.text}`,
    );

    await pay(shopper, order.id);
    const receipt = await theOnlyEmail(shopper.user.email, '[Vitrine] Payment received: your receipt');
    assert.match(receipt.text, /Amount paid: ₩25,800/);
  });

  it('when an order is left unpaid, then the reminder and the cancellation are in English', async () => {
    const shopper = await register();
    const { productId } = await placeOrder(shopper);
    const reminder = await theOnlyEmail(shopper.user.email, '[Vitrine] 1 minute left to pay for your order');
    assert.match(reminder.text, /Amount due: ₩25,800/);
    const cancelled = await theOnlyEmail(
      shopper.user.email,
      '[Vitrine] Your order was cancelled: the payment window closed',
    );
    assert.ok(cancelled.text.includes(`${WEB_URL}/products/${productId}`));
  });
});

it('across every test above, no message was delivered twice', async () => {
  const seen = new Set<string>();
  for (const email of await ses.all()) {
    const key = `${email.destination.to.join(',')}|${email.subject}`;
    assert.ok(!seen.has(key), `delivered twice: ${key}`);
    seen.add(key);
  }
});
