import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';
import { createTestStore, type TestStore } from '../../../test/support/test-env.js';
import {
  bearer,
  buildRegistration,
  loginUser,
  refreshCookieFrom,
  registerUser,
} from '../../../test/support/factories.js';

/** The contract's error shape with the given status and code; returns the body's error for further checks. */
function assertError(response: request.Response, status: number, code: string): { message: string; details?: unknown } {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.text}`);
  assert.equal(response.body?.error?.code, code, response.text);
  assert.equal(typeof response.body.error.message, 'string');
  assert.ok(response.body.error.message.length > 0);
  assert.doesNotMatch(response.text, /\bat .+:\d+:\d+|"stack"/, 'no stack trace in an error answer');
  return response.body.error;
}

/** The fields named by a 400 VALIDATION_FAILED answer. */
function invalidFields(response: request.Response): string[] {
  const error = assertError(response, 400, 'VALIDATION_FAILED');
  const issues = (error.details as { issues?: { field: string }[] } | undefined)?.issues ?? [];
  return issues.map((issue) => issue.field);
}

/** The raw `Set-Cookie` line of the refresh cookie. */
function refreshSetCookie(response: request.Response): string {
  const lines = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const line = lines.find((cookie) => cookie.startsWith('vitrine_refresh='));
  assert.ok(line, `expected a vitrine_refresh cookie, got ${JSON.stringify(lines)}`);
  return line;
}

const cookieAttributes = (line: string) =>
  line
    .split(';')
    .slice(1)
    .map((part) => part.trim().toLowerCase());

describe('accounts', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.stop());

  it('when a shopper registers, then they get their user and an access token that opens /me', async () => {
    const body = buildRegistration({ email: 'Mixed.Case@Example.com' });
    const registered = await request(api.url).post('/api/auth/register').send(body).expect(201);
    assert.equal(registered.body.user.email, 'mixed.case@example.com');
    assert.equal(registered.body.user.role, 'customer');
    assert.equal(typeof registered.body.accessToken, 'string');
    assert.equal(registered.body.user.passwordHash, undefined);

    const me = await request(api.url).get('/api/me').set(bearer(registered.body)).expect(200);
    assert.deepEqual(
      { id: me.body.id, email: me.body.email, name: me.body.name, role: me.body.role },
      { id: registered.body.user.id, email: 'mixed.case@example.com', name: body.name, role: 'customer' },
    );
  });

  it('when an email is registered twice, then the second answers 409 EMAIL_TAKEN', async () => {
    const first = await registerUser(api.url);
    const again = await request(api.url)
      .post('/api/auth/register')
      .send(buildRegistration({ email: first.user.email.toUpperCase() }))
      .expect(409);
    assert.equal(again.body.error.code, 'EMAIL_TAKEN');
  });

  describe('registration validation', () => {
    it('when the password is shorter than 8 characters, then 400 VALIDATION_FAILED names password and no account exists', async () => {
      const body = buildRegistration({ password: 'short7!' });
      const response = await request(api.url).post('/api/auth/register').send(body);
      assert.deepEqual(invalidFields(response), ['password']);

      const login = await request(api.url).post('/api/auth/login').send({ email: body.email, password: body.password });
      assertError(login, 401, 'UNAUTHENTICATED');
    });

    it('when the password has exactly 8 characters, then the account is created', async () => {
      const body = buildRegistration({ password: 'eight888' });
      await request(api.url).post('/api/auth/register').send(body).expect(201);
    });

    it('when the name is missing, then 400 VALIDATION_FAILED names name', async () => {
      const { name: _name, ...body } = buildRegistration();
      const response = await request(api.url).post('/api/auth/register').send(body);
      assert.deepEqual(invalidFields(response), ['name']);
    });

    it('when the email is not an email address, then 400 VALIDATION_FAILED names email', async () => {
      const response = await request(api.url)
        .post('/api/auth/register')
        .send(buildRegistration({ email: 'not-an-email' }));
      assert.deepEqual(invalidFields(response), ['email']);
    });

    it('when several fields are wrong, then every one of them is named', async () => {
      const response = await request(api.url).post('/api/auth/register').send({ email: 'nope', password: '1' });
      assert.deepEqual(invalidFields(response).sort(), ['email', 'name', 'password']);
    });

    it('when the body carries role "admin", then 400 names role and no account, admin or otherwise, is created', async () => {
      const body = { ...buildRegistration(), role: 'admin' };
      const response = await request(api.url).post('/api/auth/register').send(body);
      assert.deepEqual(invalidFields(response), ['role']);

      const login = await request(api.url).post('/api/auth/login').send({ email: body.email, password: body.password });
      assertError(login, 401, 'UNAUTHENTICATED');

      // Registering properly afterwards works and still yields a customer.
      const registered = await request(api.url)
        .post('/api/auth/register')
        .send({ email: body.email, password: body.password, name: body.name })
        .expect(201);
      assert.equal(registered.body.user.role, 'customer');
      const me = await request(api.url).get('/api/me').set(bearer(registered.body)).expect(200);
      assert.equal(me.body.role, 'customer');
    });
  });

  describe('login', () => {
    it('when a shopper logs in with the right password, then 200 gives user, access token and a strict httpOnly refresh cookie', async () => {
      const shopper = await registerUser(api.url);
      const response = await request(api.url)
        .post('/api/auth/login')
        .send({ email: shopper.user.email, password: shopper.password })
        .expect(200);

      assert.deepEqual(
        {
          id: response.body.user.id,
          email: response.body.user.email,
          name: response.body.user.name,
          role: response.body.user.role,
        },
        { id: shopper.user.id, email: shopper.user.email, name: shopper.user.name, role: 'customer' },
      );
      assert.equal(typeof response.body.accessToken, 'string');
      const me = await request(api.url).get('/api/me').set(bearer(response.body)).expect(200);
      assert.equal(me.body.id, shopper.user.id);

      const attributes = cookieAttributes(refreshSetCookie(response));
      assert.ok(attributes.includes('httponly'), `HttpOnly missing: ${attributes.join('; ')}`);
      assert.ok(attributes.includes('samesite=strict'), `SameSite=Strict missing: ${attributes.join('; ')}`);
      assert.ok(attributes.includes('path=/api/auth'), `Path=/api/auth missing: ${attributes.join('; ')}`);
      assert.notEqual(refreshCookieFrom(response), shopper.refreshCookie, 'each login starts a new refresh token');
    });

    it('when the email is typed in another case with spaces around it, then login still succeeds', async () => {
      const shopper = await registerUser(api.url);
      const response = await request(api.url)
        .post('/api/auth/login')
        .send({ email: `  ${shopper.user.email.toUpperCase()} `, password: shopper.password })
        .expect(200);
      assert.equal(response.body.user.id, shopper.user.id);
    });

    it('when the password is wrong or the email unknown, then both answer 401 UNAUTHENTICATED with the same message and no cookie', async () => {
      const shopper = await registerUser(api.url);
      const wrongPassword = await request(api.url)
        .post('/api/auth/login')
        .send({ email: shopper.user.email, password: `${shopper.password}-wrong` });
      const unknownEmail = await request(api.url)
        .post('/api/auth/login')
        .send({ email: buildRegistration().email, password: shopper.password });

      const first = assertError(wrongPassword, 401, 'UNAUTHENTICATED');
      const second = assertError(unknownEmail, 401, 'UNAUTHENTICATED');
      assert.equal(first.message, second.message);
      assert.equal(wrongPassword.body.accessToken, undefined);
      assert.equal(wrongPassword.headers['set-cookie'], undefined);
      assert.equal(unknownEmail.headers['set-cookie'], undefined);
    });
  });

  describe('refresh and logout', () => {
    it('when the refresh cookie is presented, then 200 gives a new access token and a new cookie, and the old cookie answers 401', async () => {
      const shopper = await registerUser(api.url);
      const refreshed = await request(api.url)
        .post('/api/auth/refresh')
        .set('Cookie', shopper.refreshCookie)
        .expect(200);

      assert.equal(typeof refreshed.body.accessToken, 'string');
      const me = await request(api.url).get('/api/me').set(bearer(refreshed.body)).expect(200);
      assert.equal(me.body.id, shopper.user.id);

      const newCookie = refreshCookieFrom(refreshed);
      assert.notEqual(newCookie, shopper.refreshCookie);
      const attributes = cookieAttributes(refreshSetCookie(refreshed));
      assert.ok(attributes.includes('httponly') && attributes.includes('samesite=strict'));
      assert.ok(attributes.includes('path=/api/auth'));

      const old = await request(api.url).post('/api/auth/refresh').set('Cookie', shopper.refreshCookie);
      assertError(old, 401, 'UNAUTHENTICATED');
    });

    it('when the new cookie is used in turn, then the rotation goes on', async () => {
      const shopper = await registerUser(api.url);
      const second = await request(api.url).post('/api/auth/refresh').set('Cookie', shopper.refreshCookie).expect(200);
      const third = await request(api.url)
        .post('/api/auth/refresh')
        .set('Cookie', refreshCookieFrom(second))
        .expect(200);
      await request(api.url).get('/api/me').set(bearer(third.body)).expect(200);
    });

    it('when an already rotated refresh token is presented again, then 401 and the newest token of its family stops working too', async () => {
      const shopper = await registerUser(api.url);
      const rotated = await request(api.url).post('/api/auth/refresh').set('Cookie', shopper.refreshCookie).expect(200);
      const newest = refreshCookieFrom(rotated);

      const reuse = await request(api.url).post('/api/auth/refresh').set('Cookie', shopper.refreshCookie);
      assertError(reuse, 401, 'UNAUTHENTICATED');

      const afterReuse = await request(api.url).post('/api/auth/refresh').set('Cookie', newest);
      assertError(afterReuse, 401, 'UNAUTHENTICATED');
    });

    it('when a rotated token is reused, then a separate session of the same shopper (another login) keeps working', async () => {
      const shopper = await registerUser(api.url);
      const otherDevice = await loginUser(api.url, shopper.user.email, shopper.password);
      await request(api.url).post('/api/auth/refresh').set('Cookie', shopper.refreshCookie).expect(200);
      await request(api.url).post('/api/auth/refresh').set('Cookie', shopper.refreshCookie).expect(401);

      const other = await request(api.url).post('/api/auth/refresh').set('Cookie', otherDevice.refreshCookie);
      assert.equal(other.status, 200, other.text);
    });

    it('when the same refresh token is presented twice at once, then at most one succeeds and no token of that family works afterwards', async () => {
      // The outcome depends on timing, so the race is run on several sessions of one shopper.
      const shopper = await registerUser(api.url);
      for (let round = 0; round < 6; round++) {
        const session = await loginUser(api.url, shopper.user.email, shopper.password);
        const answers = await Promise.all([
          request(api.url).post('/api/auth/refresh').set('Cookie', session.refreshCookie),
          request(api.url).post('/api/auth/refresh').set('Cookie', session.refreshCookie),
        ]);
        const winners = answers.filter((answer) => answer.status === 200);
        assert.ok(winners.length <= 1, 'one refresh token cannot be spent twice');
        for (const loser of answers.filter((answer) => answer.status !== 200))
          assertError(loser, 401, 'UNAUTHENTICATED');

        // Presenting one token twice is reuse: whatever the winner got must not keep the session alive.
        for (const winner of winners) {
          const next = await request(api.url).post('/api/auth/refresh').set('Cookie', refreshCookieFrom(winner));
          assertError(next, 401, 'UNAUTHENTICATED');
        }
      }
    });

    it('when refresh is called without a cookie or with an unknown one, then 401 UNAUTHENTICATED', async () => {
      const none = await request(api.url).post('/api/auth/refresh');
      assertError(none, 401, 'UNAUTHENTICATED');
      const unknown = await request(api.url).post('/api/auth/refresh').set('Cookie', 'vitrine_refresh=made-up-token');
      assertError(unknown, 401, 'UNAUTHENTICATED');
    });

    it('when a shopper logs out, then 204 clears the cookie and the refresh token no longer works', async () => {
      const shopper = await registerUser(api.url);
      const logout = await request(api.url).post('/api/auth/logout').set('Cookie', shopper.refreshCookie).expect(204);
      assert.equal(logout.text, '');
      const cleared = refreshSetCookie(logout);
      assert.match(cleared, /^vitrine_refresh=;/);
      assert.match(cleared, /expires=Thu, 01 Jan 1970/i);

      const refresh = await request(api.url).post('/api/auth/refresh').set('Cookie', shopper.refreshCookie);
      assertError(refresh, 401, 'UNAUTHENTICATED');
    });

    it('when a shopper logs out after rotating, then the rotated token no longer works either', async () => {
      const shopper = await registerUser(api.url);
      const rotated = await request(api.url).post('/api/auth/refresh').set('Cookie', shopper.refreshCookie).expect(200);
      const current = refreshCookieFrom(rotated);
      await request(api.url).post('/api/auth/logout').set('Cookie', current).expect(204);
      assertError(await request(api.url).post('/api/auth/refresh').set('Cookie', current), 401, 'UNAUTHENTICATED');
    });

    it('when logout is called without a cookie, then it still answers 204', async () => {
      await request(api.url).post('/api/auth/logout').expect(204);
    });
  });

  describe('/api/me', () => {
    it('when no access token is sent, then 401 UNAUTHENTICATED in the contract shape', async () => {
      const response = await request(api.url).get('/api/me');
      assertError(response, 401, 'UNAUTHENTICATED');
      assert.deepEqual(Object.keys(response.body), ['error']);
    });

    it('when only the refresh cookie is sent, then /me still answers 401 (the cookie is not an access token)', async () => {
      const shopper = await registerUser(api.url);
      const response = await request(api.url).get('/api/me').set('Cookie', shopper.refreshCookie);
      assertError(response, 401, 'UNAUTHENTICATED');
    });
  });
});

describe('accounts with a configured administrator', () => {
  const admin = { email: 'Boss@Vitrine.Example', password: 'admin-password-123' };
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password });
  });
  after(() => api.stop());

  it('when the API starts with ADMIN_EMAIL and ADMIN_PASSWORD, then that account logs in with role admin', async () => {
    const session = await loginUser(api.url, admin.email, admin.password);
    assert.equal(session.user.role, 'admin');
    assert.equal(session.user.email, admin.email.toLowerCase());
    const me = await request(api.url).get('/api/me').set(bearer(session)).expect(200);
    assert.equal(me.body.role, 'admin');
  });

  it('when the admin email is used to register, then 409 EMAIL_TAKEN and the admin keeps its password', async () => {
    const response = await request(api.url)
      .post('/api/auth/register')
      .send(buildRegistration({ email: admin.email, password: 'attacker-password' }));
    assertError(response, 409, 'EMAIL_TAKEN');
    const login = await request(api.url)
      .post('/api/auth/login')
      .send({ email: admin.email, password: 'attacker-password' });
    assertError(login, 401, 'UNAUTHENTICATED');
    await loginUser(api.url, admin.email, admin.password);
  });

  it('when a customer asks for GET /api/admin/users, then 403 FORBIDDEN', async () => {
    const customer = await registerUser(api.url);
    const response = await request(api.url).get('/api/admin/users').set(bearer(customer));
    assertError(response, 403, 'FORBIDDEN');
    assert.equal(response.body.items, undefined);
  });

  it('when nobody is signed in and asks for GET /api/admin/users, then 401 UNAUTHENTICATED', async () => {
    assertError(await request(api.url).get('/api/admin/users'), 401, 'UNAUTHENTICATED');
  });

  it('when the admin asks for GET /api/admin/users, then 200 lists accounts with their roles', async () => {
    const customer = await registerUser(api.url);
    const session = await loginUser(api.url, admin.email, admin.password);
    const response = await request(api.url)
      .get('/api/admin/users')
      .query({ limit: 100 })
      .set(bearer(session))
      .expect(200);

    assert.ok(Array.isArray(response.body.items));
    assert.equal(typeof response.body.total, 'number');
    assert.ok(response.body.total >= 2);
    const listed = response.body.items.find((user: { id: string }) => user.id === customer.user.id);
    assert.deepEqual(
      { email: listed?.email, name: listed?.name, role: listed?.role },
      { email: customer.user.email, name: customer.user.name, role: 'customer' },
    );
    assert.ok(response.body.items.some((user: { email: string; role: string }) => user.role === 'admin'));
  });

  it('when any account answer is read, then no password hash or password appears in it', async () => {
    const body = buildRegistration();
    const answers: [string, request.Response][] = [];
    const registered = await request(api.url).post('/api/auth/register').send(body).expect(201);
    answers.push(['register', registered]);
    const login = await request(api.url)
      .post('/api/auth/login')
      .send({ email: body.email, password: body.password })
      .expect(200);
    answers.push(['login', login]);
    answers.push(['me', await request(api.url).get('/api/me').set(bearer(login.body)).expect(200)]);
    answers.push([
      'refresh',
      await request(api.url).post('/api/auth/refresh').set('Cookie', refreshCookieFrom(login)).expect(200),
    ]);
    const adminSession = await loginUser(api.url, admin.email, admin.password);
    answers.push([
      'admin users',
      await request(api.url).get('/api/admin/users').query({ limit: 100 }).set(bearer(adminSession)).expect(200),
    ]);
    answers.push(['register again', await request(api.url).post('/api/auth/register').send(body).expect(409)]);

    for (const [name, answer] of answers) {
      assert.doesNotMatch(answer.text, /password/i, `${name} mentions a password: ${answer.text}`);
      assert.doesNotMatch(answer.text, /\$argon2/, `${name} leaks a hash`);
      assert.ok(!answer.text.includes(body.password), `${name} echoes the password`);
      assert.ok(!answer.text.includes(admin.password), `${name} echoes the admin password`);
    }
  });
});

describe('admin bootstrap across restarts', () => {
  const admin = { email: 'owner@vitrine.example', password: 'configured-admin-password' };
  const stores: TestStore[] = [];
  const running: TestApi[] = [];
  /** Starts an API on `store`; closing it keeps the store, so a later start sees the same data. */
  const start = async (store: TestStore, overrides: Record<string, string> = {}) => {
    const api = await startTestApi(overrides, store);
    running.push(api);
    return api;
  };
  const newStore = () => {
    const store = createTestStore();
    stores.push(store);
    return store;
  };
  after(async () => {
    for (const api of running) await api.close();
    for (const store of stores) await store.destroy();
  });

  it('when the API starts twice with the same admin settings, then both starts succeed and the admin still logs in', async () => {
    const store = newStore();
    const env = { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };
    const first = await start(store, env);
    const firstSession = await loginUser(first.url, admin.email, admin.password);
    await first.close();

    const second = await start(store, env);
    const secondSession = await loginUser(second.url, admin.email, admin.password);
    assert.equal(secondSession.user.id, firstSession.user.id);
    assert.equal(secondSession.user.role, 'admin');
    const users = await request(second.url).get('/api/admin/users').set(bearer(secondSession)).expect(200);
    assert.equal(users.body.items.filter((user: { email: string }) => user.email === admin.email).length, 1);
  });

  it('when the admin email was registered by a customer before, then the next start makes it admin and only the configured password opens it', async () => {
    const store = newStore();
    const first = await start(store);
    const squatter = await registerUser(first.url, { email: admin.email, password: 'squatter-password' });
    assert.equal(squatter.user.role, 'customer');
    await first.close();

    const second = await start(store, { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password });
    const session = await loginUser(second.url, admin.email, admin.password);
    assert.equal(session.user.role, 'admin');
    const old = await request(second.url)
      .post('/api/auth/login')
      .send({ email: admin.email, password: 'squatter-password' });
    assertError(old, 401, 'UNAUTHENTICATED');
  });
});
