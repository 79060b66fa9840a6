import type { ErrorBody } from '@vitrine/contracts';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, notFound } from '../errors.js';
import type { Logger } from '../logger.js';

/** Errors raised by Express's own body parser carry a status and a `type`. */
interface BodyParserError {
  status?: number;
  type?: string;
}

function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  const parserError = error as BodyParserError;
  if (parserError?.type === 'entity.parse.failed') return new AppError('VALIDATION_FAILED', 'Malformed JSON body');
  if (parserError?.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
  if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
    return new AppError('VALIDATION_FAILED', 'Unsupported body encoding');
  }
  return null;
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`Route ${req.method} ${req.path}`));
};

/** The one place that writes error answers: the contract's shape, never a stack trace or SQL. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = toAppError(error);
    if (known) {
      if (known.status >= 500) logger.error(known.message, { error: known });
      const body: ErrorBody = { error: { code: known.code, message: known.message, details: known.details } };
      res.status(known.status).json(body);
      return;
    }
    logger.error('unhandled error', {
      err: error instanceof Error ? error : new Error(String(error)),
      http: { request: { method: req.method } },
      url: { path: req.path },
    });
    if (res.headersSent) return;
    const body: ErrorBody = { error: { code: 'INTERNAL', message: 'Something went wrong on our side' } };
    res.status(500).json(body);
  };
}
