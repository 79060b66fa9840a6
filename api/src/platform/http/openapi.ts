import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { ErrorBody } from '@vitrine/contracts';
import type { ZodObject, ZodType } from 'zod';
import type { Route } from './route.js';

/** `/addresses/:id` → `/addresses/{id}` */
export function toOpenApiPath(expressPath: string): string {
  return `/api${expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorBody } },
});

/** Builds the OpenAPI 3 document from the same route definitions that are mounted. */
export function buildOpenApiDocument(routes: readonly Route[], version: string) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });

  for (const route of routes) {
    const responses: RouteConfig['responses'] = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = spec.schema
        ? { description: spec.description, content: { 'application/json': { schema: spec.schema } } }
        : { description: spec.description };
    }
    if (route.request?.body || route.request?.query || route.request?.params) {
      responses['400'] ??= errorResponse('VALIDATION_FAILED: the named fields are invalid or not allowed');
    }
    if (route.access !== 'public') responses['401'] ??= errorResponse('UNAUTHENTICATED: missing or invalid token');
    if (route.access === 'admin') responses['403'] ??= errorResponse('FORBIDDEN: administrators only');
    responses['429'] ??= errorResponse('RATE_LIMITED');

    const request: RouteConfig['request'] = {};
    if (route.request?.body) {
      request.body = { required: true, content: { 'application/json': { schema: route.request.body as ZodType } } };
    }
    if (route.request?.query) request.query = route.request.query as ZodObject;
    if (route.request?.params) request.params = route.request.params as ZodObject;

    registry.registerPath({
      method: route.method,
      path: toOpenApiPath(route.path),
      summary: route.summary,
      tags: [route.tag],
      security: route.access === 'public' ? [] : [{ [bearer.name]: [] }],
      request,
      responses,
    });
  }

  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Vitrine API',
      version,
      description:
        'Realtime storefront API. Errors always have the shape `{"error": {"code", "message", "details?"}}`. ' +
        'Money is an integer in the smallest unit of its currency; times are ISO 8601 UTC.',
    },
    servers: [{ url: '/' }],
  });
}
