import type { Request, RequestHandler, Response, Router } from 'express';
import type { ZodType, z } from 'zod';
import { AppError, forbidden, unauthenticated } from '../errors.js';
import type { Identity } from './identity.js';
import { parseRequestPart } from './validation.js';

export type Access = 'public' | 'user' | 'admin';
export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

type Parsed<S> = S extends ZodType ? z.output<S> : undefined;

export interface RouteInput<B, Q, P, A extends Access> {
  body: Parsed<B>;
  query: Parsed<Q>;
  params: Parsed<P>;
  identity: A extends 'public' ? Identity | null : Identity;
  req: Request;
  res: Response;
}

/** What a route answers: a status and, unless it is 204, a JSON body. */
export interface HttpAnswer {
  status: number;
  body?: unknown;
}

/** A JSON body serialized already (e.g. assembled from a cache), sent as these bytes without JSON.stringify. */
export class JsonBytes {
  constructor(readonly bytes: Buffer) {}
}

export interface ResponseSpec {
  description: string;
  schema?: ZodType;
}

/**
 * One HTTP endpoint: its path, who may call it, the schemas of what it takes and answers,
 * and the use case it runs. The same definition mounts the Express route and writes the
 * OpenAPI document, so the two cannot drift apart.
 */
export interface Route<B = unknown, Q = unknown, P = unknown, A extends Access = Access> {
  method: HttpMethod;
  /** Express syntax, relative to `/api`: `/addresses/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: A;
  request?: { body?: B; query?: Q; params?: P };
  responses: Record<number, ResponseSpec>;
  /** Route-specific middleware that runs after access checks (e.g. a login rate limiter). */
  before?: RequestHandler[];
  handle(input: RouteInput<B, Q, P, A>): Promise<HttpAnswer>;
}

/** Declares a route with full type inference from its schemas. */
export function defineRoute<
  A extends Access,
  B extends ZodType | undefined = undefined,
  Q extends ZodType | undefined = undefined,
  P extends ZodType | undefined = undefined,
>(route: Route<B, Q, P, A>): Route {
  return route;
}

function checkAccess(access: Access, req: Request): Identity | null {
  const identity = req.identity ?? null;
  if (access === 'public') return identity;
  if (!identity) throw unauthenticated(req.identityRefusal ?? 'Authentication required');
  if (access === 'admin' && identity.role !== 'admin') throw forbidden('Administrators only');
  return identity;
}

function answer(res: Response, result: HttpAnswer): void {
  if (result.body === undefined) res.status(result.status).end();
  else if (result.body instanceof JsonBytes) res.status(result.status).type('json').send(result.body.bytes);
  else res.status(result.status).json(result.body);
}

/** Mounts route definitions on an Express router (Express 5 forwards rejected promises to the error middleware). */
export function mountRoutes(router: Router, routes: readonly Route[]): void {
  for (const route of routes) {
    const guard: RequestHandler = (req, _res, next) => {
      checkAccess(route.access, req);
      next();
    };
    const run: RequestHandler = async (req, res) => {
      const request = route.request ?? {};
      const input: RouteInput<ZodType, ZodType, ZodType, Access> = {
        body: request.body ? parseRequestPart(request.body as ZodType, req.body, 'body') : undefined,
        query: request.query ? parseRequestPart(request.query as ZodType, req.query, 'query') : undefined,
        params: request.params ? parseRequestPart(request.params as ZodType, req.params, 'params') : undefined,
        identity: checkAccess(route.access, req),
        req,
        res,
      };
      answer(res, await route.handle(input));
    };
    router[route.method](route.path, guard, ...(route.before ?? []), run);
  }
}

export function assertNever(value: never): never {
  throw new AppError('INTERNAL', `unexpected value ${String(value)}`);
}
