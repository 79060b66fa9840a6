import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);
const swaggerUiAssets = dirname(require.resolve('swagger-ui-dist/package.json'));

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Vitrine API</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>`;

// A file rather than an inline script, so the page works under helmet's Content-Security-Policy.
const init = `window.ui = SwaggerUIBundle({ url: '/api/docs/openapi.json', dom_id: '#swagger-ui' });`;

/**
 * `GET /api/docs` answers the OpenAPI document to API clients and the browsable page to
 * browsers (by `Accept`); `/api/docs/openapi.json` is the document whatever the client asks.
 */
export function docsRouter(document: object): Router {
  const router = express.Router();
  router.use('/assets', express.static(swaggerUiAssets, { index: false, maxAge: '1d' }));
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/init.js', (_req, res) => {
    res.type('application/javascript').send(init);
  });
  router.get('/', (req, res) => {
    if (req.accepts(['json', 'html']) === 'html') res.type('html').send(page);
    else res.json(document);
  });
  return router;
}
