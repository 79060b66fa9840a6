import { randomBytes } from 'node:crypto';
import { REFRESH_COOKIE, type AuthSession, type CreateAddressBody, type RegisterBody } from '@vitrine/contracts';
import request from 'supertest';

export function buildRegistration(overrides: Partial<RegisterBody> = {}): RegisterBody {
  const id = randomBytes(4).toString('hex');
  return { email: `shopper-${id}@example.com`, password: 'correct-horse-battery', name: `Shopper ${id}`, ...overrides };
}

export function buildAddress(overrides: Partial<CreateAddressBody> = {}): CreateAddressBody {
  return {
    recipient: 'Kim Jimin',
    phone: '+82 10-1234-5678',
    line1: '12 Teheran-ro',
    line2: 'Apt 301',
    city: 'Seoul',
    postalCode: '06234',
    country: 'KR',
    ...overrides,
  };
}

export interface SignedInUser extends AuthSession {
  password: string;
  /** `vitrine_refresh=<token>`, ready for a Cookie header. */
  refreshCookie: string;
}

export function refreshCookieFrom(response: request.Response): string {
  const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const cookie = cookies.find((line) => line.startsWith(`${REFRESH_COOKIE}=`));
  if (!cookie) throw new Error('no refresh cookie in the answer');
  return cookie.split(';')[0] ?? '';
}

/** Registers a new customer through the API and returns their session. */
export async function registerUser(apiUrl: string, overrides: Partial<RegisterBody> = {}): Promise<SignedInUser> {
  const body = buildRegistration(overrides);
  const response = await request(apiUrl).post('/api/auth/register').send(body).expect(201);
  return { ...(response.body as AuthSession), password: body.password, refreshCookie: refreshCookieFrom(response) };
}

/** Logs in (e.g. the configured admin) through the API. */
export async function loginUser(apiUrl: string, email: string, password: string): Promise<SignedInUser> {
  const response = await request(apiUrl).post('/api/auth/login').send({ email, password }).expect(200);
  return { ...(response.body as AuthSession), password, refreshCookie: refreshCookieFrom(response) };
}

export const bearer = (session: { accessToken: string }) => ({ Authorization: `Bearer ${session.accessToken}` });
