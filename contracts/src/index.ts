export { z } from './zod.js';
export * from './common.js';
export * from './errors.js';
export * from './health.js';
export * from './accounts.js';
export * from './addresses.js';
export * from './orders.js';
export * from './realtime.js';
