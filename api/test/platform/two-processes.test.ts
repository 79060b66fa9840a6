import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { bearer, buildAddress, buildRegistration, refreshCookieFrom, registerUser } from '../support/factories.js';
import { spawnApiProcess, testEnvironment, type ApiProcess } from '../support/test-api.js';
import { createTestStore, type TestStore } from '../support/test-env.js';

describe('two API processes sharing one database and Redis', () => {
  let store: TestStore;
  let a: ApiProcess;
  let b: ApiProcess;
  const started: ApiProcess[] = [];

  before(async () => {
    store = createTestStore();
    const env = testEnvironment(store);
    // Both start at the same moment on an empty database, so both try to migrate it.
    const launches = await Promise.allSettled([spawnApiProcess(env), spawnApiProcess(env)]);
    for (const launch of launches) if (launch.status === 'fulfilled') started.push(launch.value);
    const failed = launches.find((launch) => launch.status === 'rejected');
    if (failed) throw failed.reason;
    [a, b] = started as [ApiProcess, ApiProcess];
  });

  after(async () => {
    // Whatever a test left running is killed, so this file always exits.
    const running = started.filter((api) => api.child.exitCode === null && api.child.signalCode === null);
    await Promise.all(running.map((api) => api.stop('SIGKILL')));
    await store?.destroy();
  });

  it('when both start together on an empty database, then both come up healthy', async () => {
    assert.notEqual(a.url, b.url);
    for (const api of [a, b]) {
      const health = await request(api.url).get('/api/health').expect(200);
      assert.deepEqual(
        { status: health.body.status, db: health.body.db, redis: health.body.redis },
        { status: 'ok', db: 'ok', redis: 'ok' },
        api.output(),
      );
    }
  });

  it('when a shopper registers on A, then they log in on B and the token from B opens /me on A', async () => {
    const registration = buildRegistration();
    const registered = await request(a.url).post('/api/auth/register').send(registration).expect(201);

    const loggedIn = await request(b.url)
      .post('/api/auth/login')
      .send({ email: registration.email, password: registration.password })
      .expect(200);
    const me = await request(a.url).get('/api/me').set(bearer(loggedIn.body)).expect(200);

    assert.equal(loggedIn.body.user.id, registered.body.user.id);
    assert.equal(me.body.id, registered.body.user.id);
    assert.equal(me.body.email, registration.email);
  });

  it('when the same email registers on A and then on B, then B answers 409 EMAIL_TAKEN', async () => {
    const registration = buildRegistration();
    await request(a.url).post('/api/auth/register').send(registration).expect(201);

    const again = await request(b.url).post('/api/auth/register').send(registration).expect(409);

    assert.equal(again.body.error.code, 'EMAIL_TAKEN');
  });

  it('when an address is created on A, then B lists it', async () => {
    const user = await registerUser(a.url);
    const created = await request(a.url)
      .post('/api/addresses')
      .set(bearer(user))
      .send(buildAddress({ recipient: 'Across Processes' }))
      .expect(201);

    const listed = await request(b.url).get('/api/addresses').set(bearer(user)).expect(200);

    assert.deepEqual(listed.body.items, [created.body]);
  });

  it('when a session is refreshed on A and the old cookie is replayed on B, then B answers 401 and the whole family is revoked', async () => {
    const user = await registerUser(a.url);

    const refreshed = await request(a.url).post('/api/auth/refresh').set('Cookie', user.refreshCookie).expect(200);
    const newCookie = refreshCookieFrom(refreshed);
    assert.notEqual(newCookie, user.refreshCookie);
    await request(b.url).get('/api/me').set(bearer(refreshed.body)).expect(200);

    const replay = await request(b.url).post('/api/auth/refresh').set('Cookie', user.refreshCookie).expect(401);
    assert.equal(replay.body.error.code, 'UNAUTHENTICATED');

    const afterReuse = await request(a.url).post('/api/auth/refresh').set('Cookie', newCookie).expect(401);
    assert.equal(afterReuse.body.error.code, 'UNAUTHENTICATED');
  });

  it('when each process gets SIGTERM, then it exits with code 0', async () => {
    const codes = await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]);

    assert.deepEqual(codes, [0, 0], `A:\n${a.output()}\nB:\n${b.output()}`);
    assert.deepEqual([a.child.signalCode, b.child.signalCode], [null, null]);
  });
});
