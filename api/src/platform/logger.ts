import { ecsFormat } from '@elastic/ecs-winston-format';
import winston from 'winston';
import { currentTraceId } from './trace-context.js';

export type Logger = winston.Logger;

const REDACTED = '[REDACTED]';
const SECRET_KEYS = new Set([
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'accesstoken',
  'refreshtoken',
  'token',
]);

function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : redactSecrets(inner, depth + 1);
  }
  return copy;
}

/** Adds `trace.id` from the current request or job, and redacts credentials wherever they appear. */
const traceAndRedact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.has(key.toLowerCase())) info[key] = REDACTED;
    else if (key !== 'err' && key !== 'error') info[key] = redactSecrets(info[key]);
  }
  const traceId = currentTraceId();
  if (traceId && !info['trace']) info['trace'] = { id: traceId };
  return info;
});

/** ECS JSON lines on stdout, ready for Filebeat/Logstash. */
export function createLogger(options: { level: string; serviceName: string; silent?: boolean }): Logger {
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    format: winston.format.combine(traceAndRedact(), ecsFormat({ serviceName: options.serviceName })),
    transports: [new winston.transports.Console()],
  });
}
