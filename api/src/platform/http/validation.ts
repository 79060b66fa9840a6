import type { FieldIssue } from '@vitrine/contracts';
import type { ZodError, ZodType, z } from 'zod';
import { AppError } from '../errors.js';

export type RequestPart = 'body' | 'query' | 'params' | 'headers';

/** Flattens zod issues to `{field, message}`, naming each unknown key as its own field. */
export function fieldIssues(error: ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...base, key].join('.'), message: 'is not an allowed field' }));
    }
    return [{ field: base.join('.') || '(root)', message: issue.message }];
  });
}

/** Parses one part of a request, or throws a 400 VALIDATION_FAILED that names every bad field. */
export function parseRequestPart<S extends ZodType>(schema: S, value: unknown, part: RequestPart): z.output<S> {
  const parsed = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error);
  const summary = issues.map((issue) => `${issue.field} ${issue.message}`).join('; ');
  throw new AppError('VALIDATION_FAILED', `Invalid ${part}: ${summary}`, { part, issues });
}
