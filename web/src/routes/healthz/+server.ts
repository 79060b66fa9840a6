import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';

/** Liveness of the web process itself (does not call the API). */
export const GET: RequestHandler = () => json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } });
