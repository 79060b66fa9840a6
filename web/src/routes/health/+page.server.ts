import { isHttpError } from '@sveltejs/kit';
import { apiFetch } from '$lib/server/api';
import type { PageServerLoad } from './$types';

/** Body of `GET /api/health`. */
interface ApiHealth {
  status: string;
  db: string;
  redis: string;
}

type HealthStatus =
  | { state: 'ok'; status: string; db: string; redis: string }
  | { state: 'unreachable' }
  | { state: 'error'; message: string };

export const load: PageServerLoad = async () => {
  let health: HealthStatus;
  try {
    const { status, db, redis } = await apiFetch<ApiHealth>('/health');
    health = { state: 'ok', status, db, redis };
  } catch (e) {
    // apiFetch throws 503 "API unreachable" on network failure/timeout; anything else is an API error.
    if (isHttpError(e) && !(e.status === 503 && e.body.message === 'API unreachable')) {
      health = { state: 'error', message: `${e.status}: ${e.body.message}` };
    } else {
      health = { state: 'unreachable' };
    }
  }
  return { health, checkedAt: new Date().toISOString() };
};
