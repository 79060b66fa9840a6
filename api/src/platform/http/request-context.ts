import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { newTraceId, runWithTrace } from '../trace-context.js';

const TRACE_ID = /^[A-Za-z0-9-]{8,64}$/;

/** W3C `traceparent` is `00-<32 hex trace id>-<16 hex span>-<flags>`. */
function traceIdFrom(traceparent: string | undefined, requestId: string | undefined): string {
  const fromTraceparent = traceparent?.split('-')[1];
  if (fromTraceparent && /^[0-9a-f]{32}$/.test(fromTraceparent)) return fromTraceparent;
  if (requestId && TRACE_ID.test(requestId)) return requestId;
  return newTraceId();
}

/**
 * Gives each request a trace id (from `traceparent` or `X-Request-Id`, else a new one), runs the
 * rest of the request inside it so every log line, job and event carries it, and logs one ECS
 * access line when the answer is sent. Headers are not logged, so credentials never are.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const traceId = traceIdFrom(req.get('traceparent'), req.get('x-request-id'));
    res.setHeader('X-Request-Id', traceId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const level = res.statusCode >= 500 ? 'error' : 'http';
      // winston builds the whole record before dropping it by level; skip that on the hot path.
      if (!logger.isLevelEnabled(level)) return;
      const durationNs = Number(process.hrtime.bigint() - started);
      logger.log(level, `${req.method} ${req.originalUrl.split('?')[0]} ${res.statusCode}`, {
        trace: { id: traceId },
        http: { request: { method: req.method }, response: { status_code: res.statusCode } },
        url: { path: req.originalUrl.split('?')[0] },
        client: { ip: req.ip },
        user: req.identity ? { id: req.identity.userId } : undefined,
        event: { duration: durationNs, category: ['web'] },
      });
    });
    runWithTrace(traceId, next);
  };
}
