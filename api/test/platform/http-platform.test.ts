import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { bearer, buildRegistration, registerUser } from '../support/factories.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
}

/** Express 5 (router 2.x) layer, as far as this test reads it. */
interface RouterLayer {
  rawPath?: unknown;
  handle?: { stack?: RouterLayer[] };
  route?: { path?: unknown; methods?: Record<string, boolean> };
}

/** Paths under here serve the document itself (page, assets, JSON) and are not part of it. */
const SELF_DESCRIBING_PREFIX = '/api/docs';

/** `/addresses/:id` → `/addresses/{id}` */
const toOpenApi = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Every `METHOD /api/path` the app really mounts, read from Express 5's router: the layer whose
 * handle is the router mounted at `/api`, then its route layers (and those of nested routers).
 */
function mountedApiRoutes(app: unknown): string[] {
  const appRouter = (app as { router?: { stack?: unknown } }).router;
  assert.ok(
    appRouter && Array.isArray(appRouter.stack),
    `expected Express 5's app.router.stack; found app.router of type ${typeof appRouter} with keys ${Object.keys(appRouter ?? {}).join(', ')}`,
  );
  const topLayers = appRouter.stack as RouterLayer[];
  const apiRouters = topLayers.filter((layer) => layer.rawPath === '/api' && Array.isArray(layer.handle?.stack));
  assert.ok(
    apiRouters.length > 0,
    `no router mounted at /api; top layers: ${JSON.stringify(topLayers.map((layer) => ({ rawPath: layer.rawPath, router: Array.isArray(layer.handle?.stack) })))}`,
  );

  const found: string[] = [];
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        assert.equal(typeof layer.route.path, 'string', `a route layer without a string path under ${prefix}`);
        const methods = Object.keys(layer.route.methods ?? {}).filter((method) => layer.route?.methods?.[method]);
        assert.ok(methods.length > 0, `route ${String(layer.route.path)} has no methods`);
        for (const method of methods) found.push(`${method.toUpperCase()} ${prefix}${String(layer.route.path)}`);
      } else if (Array.isArray(layer.handle?.stack) && typeof layer.rawPath === 'string') {
        walk(layer.handle.stack, `${prefix}${layer.rawPath === '/' ? '' : layer.rawPath}`);
      }
    }
  };
  for (const apiRouter of apiRouters) walk(apiRouter.handle?.stack ?? [], '/api');
  return found;
}

function documentedRoutes(document: OpenApiDocument): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** True when an answer body shows internals: a stack trace, a source file or a server path. */
const leaksInternals = (text: string) =>
  /\bat .+:\d+:\d+|node_modules|\/work\/|\.ts:\d+|\.js:\d+|"stack"|SyntaxError/i.test(text);

describe('HTTP platform', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.stop());

  it('when a client asks for health, then it answers 200 with the API, database and Redis all ok', async () => {
    const response = await request(api.url).get('/api/health').expect(200);

    assert.match(response.headers['content-type'] ?? '', /application\/json/);
    assert.deepEqual(
      { status: response.body.status, db: response.body.db, redis: response.body.redis },
      { status: 'ok', db: 'ok', redis: 'ok' },
    );
  });

  it('when a body is malformed JSON, then it answers 400 VALIDATION_FAILED without a stack trace or file path', async () => {
    const response = await request(api.url)
      .post('/api/auth/register')
      .set('Content-Type', 'application/json')
      .send('{"email": "broken@example.com", "password": ')
      .expect(400);

    assert.equal(response.body.error.code, 'VALIDATION_FAILED');
    assert.equal(typeof response.body.error.message, 'string');
    assert.equal(leaksInternals(response.text), false, response.text);
  });

  it('when a client calls a route that does not exist, then it answers 404 NOT_FOUND in the error shape', async () => {
    const unknownPath = await request(api.url).get('/api/no-such-endpoint').expect(404);
    assert.equal(unknownPath.body.error.code, 'NOT_FOUND');
    assert.equal(typeof unknownPath.body.error.message, 'string');

    const wrongMethod = await request(api.url).delete('/api/health').expect(404);
    assert.equal(wrongMethod.body.error.code, 'NOT_FOUND');

    const outsideApi = await request(api.url).get('/not-the-api').expect(404);
    assert.equal(outsideApi.body.error.code, 'NOT_FOUND');
  });

  it('when a body is over the 100kb limit, then it answers 413 in the error shape and nothing is created', async () => {
    const registration = buildRegistration({ name: 'x'.repeat(150 * 1024) });

    const response = await request(api.url).post('/api/auth/register').send(registration).expect(413);

    assert.equal(response.body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(typeof response.body.error.message, 'string');
    assert.equal(leaksInternals(response.text), false, response.text);
    // The same email with a normal body still registers: the oversized request stored nothing.
    await request(api.url)
      .post('/api/auth/register')
      .send({ ...registration, name: 'Normal Name' })
      .expect(201);
  });

  it('when any answer is sent, then it carries an X-Request-Id header', async () => {
    const user = await registerUser(api.url);
    const answers = await Promise.all([
      request(api.url).get('/api/health'),
      request(api.url).get('/api/me').set(bearer(user)),
      request(api.url).get('/api/me'),
      request(api.url).get('/api/no-such-endpoint'),
      request(api.url).post('/api/auth/login').send({}),
      request(api.url).post('/api/auth/login').set('Content-Type', 'application/json').send('{nope'),
      request(api.url).get('/api/docs/openapi.json'),
    ]);

    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 401, 404, 400, 400, 200],
    );
    const ids = answers.map((answer) => answer.headers['x-request-id']);
    for (const id of ids) assert.match(String(id), /^[A-Za-z0-9-]{8,64}$/);
    assert.equal(new Set(ids).size, ids.length, 'each request gets its own id');
  });

  it('when a request carries an X-Request-Id, then the answer echoes it back', async () => {
    const requestId = 'client-req-4f1c2a9e-0001';

    const ok = await request(api.url).get('/api/health').set('X-Request-Id', requestId).expect(200);
    const failed = await request(api.url).get('/api/no-such-endpoint').set('X-Request-Id', requestId).expect(404);

    assert.equal(ok.headers['x-request-id'], requestId);
    assert.equal(failed.headers['x-request-id'], requestId);
  });

  it('when an API client asks for /api/docs, then it gets the OpenAPI 3 document as JSON', async () => {
    const byDefault = await request(api.url).get('/api/docs').expect(200);
    const asJson = await request(api.url).get('/api/docs').set('Accept', 'application/json').expect(200);

    for (const response of [byDefault, asJson]) {
      assert.match(response.headers['content-type'] ?? '', /application\/json/);
      assert.match(String(response.body.openapi), /^3\./);
      assert.equal(typeof response.body.paths, 'object');
      assert.ok(Object.keys(response.body.paths).length > 0, 'the document lists paths');
    }
  });

  it('when a browser asks for /api/docs, then it gets an HTML page whose assets load', async () => {
    const page = await request(api.url).get('/api/docs').set('Accept', 'text/html').expect(200);
    const browser = await request(api.url)
      .get('/api/docs')
      .set('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')
      .expect(200);

    for (const response of [page, browser]) {
      assert.match(response.headers['content-type'] ?? '', /text\/html/);
      assert.match(response.text, /<html/i);
    }
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    assert.ok(assets.length > 0, 'the page references its scripts and styles');
    for (const asset of assets) {
      await request(api.url).get(asset).expect(200);
    }
  });

  it('when a client asks for /api/docs/openapi.json, then it gets the same document whatever it accepts', async () => {
    const docs = await request(api.url).get('/api/docs').expect(200);
    const json = await request(api.url).get('/api/docs/openapi.json').set('Accept', 'text/html').expect(200);

    assert.match(json.headers['content-type'] ?? '', /application\/json/);
    assert.match(String(json.body.openapi), /^3\./);
    assert.deepEqual(json.body, docs.body);
  });

  it('when the API mounts a route, then the OpenAPI document describes it', async () => {
    const document = (await request(api.url).get('/api/docs/openapi.json').expect(200)).body as OpenApiDocument;
    const mounted = mountedApiRoutes(api.app).filter(
      (route) => !route.split(' ')[1]?.startsWith(SELF_DESCRIBING_PREFIX),
    );
    assert.ok(mounted.includes('GET /api/health'), `the walk finds the known routes; found: ${mounted.join(', ')}`);
    assert.ok(
      mounted.includes('DELETE /api/addresses/:id'),
      `the walk finds the known routes; found: ${mounted.join(', ')}`,
    );

    const documented = new Set(documentedRoutes(document));
    const missing = mounted.filter((route) => {
      const [method, path] = route.split(' ');
      return !documented.has(`${method} ${toOpenApi(path ?? '')}`);
    });

    assert.deepEqual(missing, [], `mounted but not in the OpenAPI document: ${missing.join(', ')}`);
  });

  it('when the OpenAPI document lists a route, then the API really mounts it', async () => {
    const document = (await request(api.url).get('/api/docs/openapi.json').expect(200)).body as OpenApiDocument;
    const mounted = new Set(mountedApiRoutes(api.app).map((route) => toOpenApi(route)));

    const phantom = documentedRoutes(document).filter((route) => !mounted.has(route));

    assert.deepEqual(phantom, [], `in the OpenAPI document but not mounted: ${phantom.join(', ')}`);
  });
});
