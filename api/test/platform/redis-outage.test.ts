import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { bearer, buildRegistration } from '../support/factories.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** A throwaway Redis of this test's own, so killing it harms nobody else. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  // Should this test process end without its after hook (process.exit, a crash), the Redis goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  return child;
}

async function stopRedis(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Polls `GET /api/health` until it answers `status`; returns that answer and how long it took. */
async function healthUntil(url: string, status: number, withinMs: number) {
  const started = Date.now();
  let last: request.Response | undefined;
  while (Date.now() - started < withinMs) {
    last = await request(url).get('/api/health');
    if (last.status === status) return { response: last, elapsedMs: Date.now() - started };
    await sleep(100);
  }
  assert.fail(`health did not answer ${status} within ${withinMs} ms; last: ${last?.status} ${last?.text}`);
}

describe('when Redis goes away and comes back', () => {
  let redisPort: number;
  let redis: ChildProcess | undefined;
  let api: TestApi | undefined;

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    // The general rate limiter is on here, so the test also shows it lets requests through without Redis.
    api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${redisPort}`, RATE_LIMIT_RPM: '1200' });
  });
  after(async () => {
    await api?.stop();
    await stopRedis(redis);
  });

  it('when Redis answers, then health is 200 with everything ok', async () => {
    const response = await request(api!.url).get('/api/health').expect(200);

    assert.deepEqual(
      { status: response.body.status, db: response.body.db, redis: response.body.redis },
      { status: 'ok', db: 'ok', redis: 'ok' },
    );
  });

  it('when Redis dies, then health answers 503 naming redis (db still ok) within 3 seconds', async () => {
    await stopRedis(redis);

    const { response, elapsedMs } = await healthUntil(api!.url, 503, 3_000);

    assert.ok(elapsedMs <= 3_000, `took ${elapsedMs} ms`);
    assert.equal(response.body.redis, 'unavailable');
    assert.equal(response.body.db, 'ok');
    assert.notEqual(response.body.status, 'ok');
  });

  it('when Redis is down, then a shopper can still register, log in and open /me (rate limits fail open)', async () => {
    const registration = buildRegistration();

    const registered = await request(api!.url).post('/api/auth/register').send(registration);
    assert.equal(registered.status, 201, registered.text);

    const loggedIn = await request(api!.url)
      .post('/api/auth/login')
      .send({ email: registration.email, password: registration.password });
    assert.equal(loggedIn.status, 200, loggedIn.text);
    assert.equal(loggedIn.body.user.email, registration.email);

    const me = await request(api!.url).get('/api/me').set(bearer(loggedIn.body));
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.id, registered.body.user.id);

    const wrongPassword = await request(api!.url)
      .post('/api/auth/login')
      .send({ email: registration.email, password: 'not-the-password' });
    assert.equal(wrongPassword.status, 401, wrongPassword.text);
    assert.equal(wrongPassword.body.error.code, 'UNAUTHENTICATED');
  });

  it('when Redis is down, then register and login each answer within 3 seconds', async () => {
    const registration = buildRegistration();
    const timed = async (send: () => Promise<request.Response>) => {
      const started = Date.now();
      const response = await send();
      return { response, elapsedMs: Date.now() - started };
    };

    const register = await timed(() => request(api!.url).post('/api/auth/register').send(registration));
    const login = await timed(() =>
      request(api!.url).post('/api/auth/login').send({ email: registration.email, password: registration.password }),
    );

    assert.equal(register.response.status, 201);
    assert.equal(login.response.status, 200);
    assert.ok(register.elapsedMs < 3_000, `register took ${register.elapsedMs} ms`);
    assert.ok(login.elapsedMs < 3_000, `login took ${login.elapsedMs} ms`);
  });

  it('when Redis comes back on the same port, then health returns to 200', async () => {
    redis = await startRedis(redisPort);

    const { response } = await healthUntil(api!.url, 200, 10_000);

    assert.deepEqual(
      { status: response.body.status, db: response.body.db, redis: response.body.redis },
      { status: 'ok', db: 'ok', redis: 'ok' },
    );
  });

  it('when Redis has come back, then the API shuts down within the 15 s main.ts allows before exit(1)', async () => {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((done) => (timer = setTimeout(() => done(false), 15_000)));
    const closed = await Promise.race([api!.close().then(() => true as const), deadline]);
    clearTimeout(timer);

    assert.ok(closed, `close() had not finished after ${Date.now() - started} ms`);
  });
});
