import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, accessTokenKey } from '@vitrine/contracts/access-token';
import { SignJWT, type JWTPayload } from 'jose';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';
import { TEST_JWT_SECRET } from '../../../test/support/test-env.js';
import { bearer, registerUser, type SignedInUser } from '../../../test/support/factories.js';

const rightKey = accessTokenKey(TEST_JWT_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface ForgeOptions {
  claims?: JWTPayload;
  key?: Uint8Array;
  alg?: string;
}

/**
 * Signs a token the way an attacker (or a buggy issuer) could: valid claims for `userId` by
 * default, each test changing one thing. The default must be accepted, or the refusals prove nothing.
 */
function forgeToken(
  userId: string,
  { claims = {}, key = rightKey, alg = 'HS256' }: ForgeOptions = {},
): Promise<string> {
  return new SignJWT({
    role: 'customer',
    token_use: 'access',
    sub: userId,
    iss: ACCESS_TOKEN_ISSUER,
    aud: ACCESS_TOKEN_AUDIENCE,
    iat: nowSeconds(),
    exp: nowSeconds() + 600,
    ...claims,
  })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .sign(key);
}

/** A 401 in the contract's shape: `{error: {code: "UNAUTHENTICATED", message}}`, nothing else, no stack trace. */
function assertUnauthenticated(response: request.Response): void {
  assert.equal(response.status, 401, `expected 401, got ${response.status} ${response.text}`);
  assert.match(String(response.headers['content-type']), /application\/json/);
  assert.deepEqual(Object.keys(response.body), ['error']);
  assert.equal(response.body.error.code, 'UNAUTHENTICATED');
  assert.equal(typeof response.body.error.message, 'string');
  assert.ok(response.body.error.message.length > 0);
  for (const key of Object.keys(response.body.error)) assert.ok(['code', 'message', 'details'].includes(key), key);
  assert.doesNotMatch(response.text, /stack|\bat .+:\d+:\d+|node_modules|\.ts\b/i, 'no internals in the answer');
}

describe('gateway: access tokens', () => {
  let api: TestApi;
  let shopper: SignedInUser;
  before(async () => {
    api = await startTestApi();
    shopper = await registerUser(api.url);
  });
  after(() => api.stop());

  const me = (authorization: string) => request(api.url).get('/api/me').set('Authorization', authorization);

  it('when /me is called with the access token the API issued, then 200 with that user', async () => {
    const response = await request(api.url).get('/api/me').set(bearer(shopper)).expect(200);
    assert.equal(response.body.id, shopper.user.id);
    assert.equal(response.body.role, 'customer');
  });

  it('when a token is signed HS256 with the right key and right claims, then it is accepted (control for the forgeries below)', async () => {
    const response = await me(`Bearer ${await forgeToken(shopper.user.id)}`);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.id, shopper.user.id);
  });

  it('when the payload is changed to role admin and the signature kept, then 401 on /me and on the admin route', async () => {
    const [header, payload, signature] = shopper.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims['role'], 'customer');
    const tampered = `${header}.${base64url({ ...claims, role: 'admin' })}.${signature}`;

    assertUnauthenticated(await me(`Bearer ${tampered}`));
    assertUnauthenticated(await request(api.url).get('/api/admin/users').set('Authorization', `Bearer ${tampered}`));
  });

  it('when the token says alg "none" and has no signature, then 401', async () => {
    const claims = {
      role: 'admin',
      token_use: 'access',
      sub: shopper.user.id,
      iss: ACCESS_TOKEN_ISSUER,
      aud: ACCESS_TOKEN_AUDIENCE,
      iat: nowSeconds(),
      exp: nowSeconds() + 600,
    };
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    assertUnauthenticated(await me(`Bearer ${unsigned}`));
    assertUnauthenticated(await request(api.url).get('/api/admin/users').set('Authorization', `Bearer ${unsigned}`));
  });

  it('when the token is signed with another key, then 401', async () => {
    const otherKey = accessTokenKey('another-secret-that-is-also-32-bytes-long!!');
    assertUnauthenticated(await me(`Bearer ${await forgeToken(shopper.user.id, { key: otherKey })}`));
  });

  it('when the token is signed with the right key but expired, then 401', async () => {
    const expired = await forgeToken(shopper.user.id, {
      claims: { iat: nowSeconds() - 1_200, exp: nowSeconds() - 60 },
    });
    assertUnauthenticated(await me(`Bearer ${expired}`));
  });

  it('when a token that was accepted before reaches its expiry, then it is refused from then on', async () => {
    // Accepted tokens are remembered; the memory must not outlive `exp`.
    const exp = nowSeconds() + 2;
    const shortLived = await forgeToken(shopper.user.id, { claims: { exp } });
    assert.equal((await me(`Bearer ${shortLived}`)).status, 200);
    assert.equal((await me(`Bearer ${shortLived}`)).status, 200);
    await new Promise((done) => setTimeout(done, exp * 1000 - Date.now() + 50));
    assertUnauthenticated(await me(`Bearer ${shortLived}`));
  });

  it('when the token has no expiry at all, then 401', async () => {
    const forever = await new SignJWT({
      role: 'customer',
      token_use: 'access',
      sub: shopper.user.id,
      iss: ACCESS_TOKEN_ISSUER,
      aud: ACCESS_TOKEN_AUDIENCE,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .sign(rightKey);
    assertUnauthenticated(await me(`Bearer ${forever}`));
  });

  it('when the token has the wrong issuer, then 401', async () => {
    assertUnauthenticated(await me(`Bearer ${await forgeToken(shopper.user.id, { claims: { iss: 'someone-else' } })}`));
  });

  it('when the token has the wrong audience, then 401', async () => {
    assertUnauthenticated(await me(`Bearer ${await forgeToken(shopper.user.id, { claims: { aud: 'another-app' } })}`));
  });

  it('when the token_use claim is not "access", then 401', async () => {
    assertUnauthenticated(
      await me(`Bearer ${await forgeToken(shopper.user.id, { claims: { token_use: 'refresh' } })}`),
    );
    const missing = await new SignJWT({
      role: 'customer',
      sub: shopper.user.id,
      iss: ACCESS_TOKEN_ISSUER,
      aud: ACCESS_TOKEN_AUDIENCE,
      exp: nowSeconds() + 600,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(rightKey);
    assertUnauthenticated(await me(`Bearer ${missing}`));
  });

  it('when the token is signed HS512 with the right key, then 401 (only HS256 is accepted)', async () => {
    assertUnauthenticated(await me(`Bearer ${await forgeToken(shopper.user.id, { alg: 'HS512' })}`));
  });

  it('when the role claim is not a known role, then 401', async () => {
    assertUnauthenticated(await me(`Bearer ${await forgeToken(shopper.user.id, { claims: { role: 'superuser' } })}`));
  });

  it('when the Authorization header uses the Basic scheme, then 401', async () => {
    const basic = Buffer.from(`${shopper.user.email}:${shopper.password}`).toString('base64');
    assertUnauthenticated(await me(`Basic ${basic}`));
  });

  it('when the access token is sent without the Bearer scheme or is garbage, then 401', async () => {
    assertUnauthenticated(await me(shopper.accessToken));
    assertUnauthenticated(await me('Bearer not-a-jwt'));
    assertUnauthenticated(await me('Bearer '));
  });
});

describe('gateway: client-supplied identity headers', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.stop());

  const identityHeaders = (userId: string) => ({
    'X-User-Id': userId,
    'X-User-Role': 'admin',
    'X-Authenticated-User': userId,
    'X-Forwarded-User': userId,
  });

  it('when identity headers are sent without a token, then /me and the admin route answer 401', async () => {
    const victim = await registerUser(api.url);
    assertUnauthenticated(await request(api.url).get('/api/me').set(identityHeaders(victim.user.id)));
    assertUnauthenticated(await request(api.url).get('/api/admin/users').set(identityHeaders(victim.user.id)));
  });

  it('when a customer adds X-User-Role admin to their token, then the admin route still answers 403 FORBIDDEN', async () => {
    const customer = await registerUser(api.url);
    const response = await request(api.url)
      .get('/api/admin/users')
      .set(bearer(customer))
      .set(identityHeaders(customer.user.id));
    assert.equal(response.status, 403, response.text);
    assert.equal(response.body.error.code, 'FORBIDDEN');
    assert.equal(response.body.items, undefined);
  });

  it('when a customer adds X-User-Id of another user, then /me still answers with their own account', async () => {
    const [customer, other] = await Promise.all([registerUser(api.url), registerUser(api.url)]);
    const response = await request(api.url)
      .get('/api/me')
      .set(bearer(customer))
      .set(identityHeaders(other.user.id))
      .expect(200);
    assert.equal(response.body.id, customer.user.id);
    assert.equal(response.body.email, customer.user.email);
    assert.equal(response.body.role, 'customer');
  });
});
