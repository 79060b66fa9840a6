import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';
import { registerUser, type SignedInUser } from '../../../test/support/factories.js';

/** A 429 in the contract's shape: `{error: {code: "RATE_LIMITED", message}}`. */
function assertRateLimited(response: request.Response): void {
  assert.equal(response.status, 429, `expected 429, got ${response.status} ${response.text}`);
  assert.deepEqual(Object.keys(response.body), ['error']);
  assert.equal(response.body.error.code, 'RATE_LIMITED');
  assert.equal(typeof response.body.error.message, 'string');
  assert.ok(response.body.error.message.length > 0);
  assert.doesNotMatch(response.text, /stack|\bat .+:\d+:\d+/);
}

/** With TRUST_PROXY=loopback the test runner plays the proxy, so `client` (X-Forwarded-For) is the client's IP. */
const login = (api: TestApi, email: string, password: string, client?: string) =>
  request(api.url)
    .post('/api/auth/login')
    .set(client ? { 'X-Forwarded-For': client } : {})
    .send({ email, password });

const registerMany = (api: TestApi, count: number): Promise<SignedInUser[]> =>
  Promise.all(Array.from({ length: count }, () => registerUser(api.url)));

describe('rate limits: failed logins per account', () => {
  let api: TestApi;
  before(async () => {
    // The general limit is off: failed-login limits apply whatever it says.
    api = await startTestApi({
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
      LOGIN_MAX_FAILURES_PER_IP: '1000',
      RATE_LIMIT_RPM: '0',
      TRUST_PROXY: 'loopback',
    });
  });
  after(() => api.stop());

  it('when an account has 3 failed logins, then the next login for it answers 429 even with the right password, while another account still logs in', async () => {
    const [target, bystander] = await registerMany(api, 2);
    assert.ok(target && bystander);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const failed = await login(api, target.user.email, 'wrong-password');
      assert.equal(failed.status, 401, `attempt ${attempt}: ${failed.text}`);
    }

    const blocked = await login(api, target.user.email, target.password);
    assertRateLimited(blocked);
    assert.equal(blocked.body.accessToken, undefined);
    assert.equal(blocked.headers['set-cookie'], undefined);

    const other = await login(api, bystander.user.email, bystander.password);
    assert.equal(other.status, 200, other.text);
  });

  it('when the failures come from different clients, then they still count against the one account', async () => {
    const target = await registerUser(api.url);
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      assert.equal((await login(api, target.user.email, 'wrong-password', client)).status, 401);
    }
    assertRateLimited(await login(api, target.user.email, target.password, '203.0.113.4'));
  });

  it('when the failures spell the email in other cases and with spaces, then they still count against the one account', async () => {
    const target = await registerUser(api.url);
    const spellings = [target.user.email.toUpperCase(), ` ${target.user.email} `, target.user.email];
    for (const email of spellings) assert.equal((await login(api, email, 'wrong-password')).status, 401);
    assertRateLimited(await login(api, target.user.email, target.password));
  });

  it('when an account logs in successfully more often than the limit, then it is never limited', async () => {
    const shopper = await registerUser(api.url);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await login(api, shopper.user.email, shopper.password);
      assert.equal(response.status, 200, `attempt ${attempt}: ${response.text}`);
    }
  });
});

describe('rate limits: failed logins per client IP', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({
      LOGIN_MAX_FAILURES_PER_IP: '4',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '100',
      RATE_LIMIT_RPM: '0',
      TRUST_PROXY: 'loopback',
    });
  });
  after(() => api.stop());

  it('when one client fails 4 logins spread over several accounts, then its next login answers 429 while another client still logs in', async () => {
    const client = '198.51.100.10';
    const accounts = await registerMany(api, 5);
    for (const account of accounts.slice(0, 4)) {
      const failed = await login(api, account.user.email, 'wrong-password', client);
      assert.equal(failed.status, 401, failed.text);
    }
    const fifth = accounts[4];
    assert.ok(fifth);

    assertRateLimited(await login(api, fifth.user.email, fifth.password, client));

    const elsewhere = await login(api, fifth.user.email, fifth.password, '198.51.100.11');
    assert.equal(elsewhere.status, 200, elsewhere.text);
  });

  it('when a client logs in successfully many times, then only its failures count towards the limit', async () => {
    const client = '198.51.100.20';
    const [shopper, ...others] = await registerMany(api, 4);
    assert.ok(shopper);
    for (let attempt = 1; attempt <= 6; attempt++) {
      const response = await login(api, shopper.user.email, shopper.password, client);
      assert.equal(response.status, 200, `success ${attempt}: ${response.text}`);
    }
    for (const account of others) assert.equal((await login(api, account.user.email, 'wrong', client)).status, 401);

    // 3 failures so far: still allowed.
    assert.equal((await login(api, shopper.user.email, shopper.password, client)).status, 200);
    assert.equal((await login(api, shopper.user.email, 'wrong', client)).status, 401);
    assertRateLimited(await login(api, shopper.user.email, shopper.password, client));
  });

  it('when logins fail with unknown emails, then they count towards the client limit too', async () => {
    const client = '198.51.100.30';
    for (let attempt = 1; attempt <= 4; attempt++) {
      const failed = await login(api, `nobody-${attempt}@example.com`, 'whatever-password', client);
      assert.equal(failed.status, 401, failed.text);
    }
    assertRateLimited(await login(api, 'nobody-5@example.com', 'whatever-password', client));
  });
});

describe('rate limits: general limit per client', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ RATE_LIMIT_RPM: '5', TRUST_PROXY: 'loopback' });
  });
  after(() => api.stop());

  it('when a client sends a 6th request within a minute, then it answers 429 RATE_LIMITED on any API route', async () => {
    const agent = request(api.url);
    const first = [
      await agent.get('/api/health'),
      await agent.get('/api/me'),
      await agent.post('/api/auth/refresh'),
      await agent.get('/api/no-such-route'),
      await agent.get('/api/health'),
    ];
    assert.deepEqual(
      first.map((response) => response.status),
      [200, 401, 401, 404, 200],
    );

    assertRateLimited(await agent.get('/api/health'));
    assertRateLimited(await agent.post('/api/auth/register').send({}));
    assertRateLimited(await agent.get('/api/me'));

    // The limit is per client, not for everyone.
    const otherClient = await agent.get('/api/health').set('X-Forwarded-For', '192.0.2.77');
    assert.equal(otherClient.status, 200, otherClient.text);
  });
});

describe('rate limits: general limit off', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ RATE_LIMIT_RPM: '0' });
  });
  after(() => api.stop());

  it('when RATE_LIMIT_RPM is 0, then 30 requests in a row all pass', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await request(api.url).get('/api/health')).status);
    assert.deepEqual(
      statuses,
      Array.from({ length: 30 }, () => 200),
    );
  });
});
