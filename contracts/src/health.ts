import { z } from './zod.js';

export const DependencyStatus = z.enum(['ok', 'unavailable']);
export type DependencyStatus = z.infer<typeof DependencyStatus>;

export const HealthStatus = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    db: DependencyStatus,
    redis: DependencyStatus,
  })
  .openapi('Health');
export type HealthStatus = z.infer<typeof HealthStatus>;
