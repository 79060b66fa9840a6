import { error } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';

const DEFAULT_API_URL = 'http://127.0.0.1:4000';
const DEFAULT_TIMEOUT_MS = 5000;

/** Error envelope returned by the Vitrine API: `{ error: { code, message } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

function apiBaseUrl(): string {
  return (env.API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
}

function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const err: unknown = value.error;
  return typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string';
}

/** SvelteKit's `error()` only accepts 400-599; anything else from upstream is a bad gateway. */
function errorStatus(status: number): number {
  return status >= 400 && status <= 599 ? status : 502;
}

/**
 * Server-side call to the Vitrine API: `${API_URL}/api${path}`.
 * Returns the parsed JSON body, or throws a SvelteKit `error(status, message)`:
 * - the API's own message when it answers with `{ error: { code, message } }`,
 * - 503 "API unreachable" when the request cannot be made (network error, timeout),
 * - 502 when the answer is not valid JSON.
 */
export async function apiFetch<T>(path: string, init?: RequestInit): Promise<T> {
  const url = `${apiBaseUrl()}/api${path.startsWith('/') ? path : `/${path}`}`;
  const headers = new Headers(init?.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  if (typeof init?.body === 'string' && !headers.has('content-type')) {
    headers.set('content-type', 'application/json');
  }

  let res: Response;
  try {
    res = await fetch(url, {
      ...init,
      headers,
      signal: init?.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
    });
  } catch (cause) {
    const reason = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : String(cause);
    console.error(`[api] ${init?.method ?? 'GET'} ${url} failed: ${reason}`);
    error(503, 'API unreachable');
  }

  if (res.status === 204) return undefined as T;

  let body: unknown;
  try {
    body = await res.json();
  } catch {
    error(res.ok ? 502 : errorStatus(res.status), `Invalid response from API (${res.status})`);
  }

  if (isApiErrorBody(body)) {
    error(errorStatus(res.status), body.error.message);
  }
  if (!res.ok) {
    error(errorStatus(res.status), `API request failed (${res.status})`);
  }
  return body as T;
}
