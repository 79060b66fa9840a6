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

export const ADMIN = { email: 'admin@vitrine.test', password: 'admin-password-1234' };
/** Env for `startTestApi` that bootstraps the admin account above. */
export const ADMIN_ENV = { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password };

export interface NewProduct {
  name: string;
  description: string;
  price: number;
  stock: number;
  currency?: string;
  imageUrl?: string;
}

export function buildProduct(overrides: Partial<NewProduct> = {}): NewProduct {
  const id = randomBytes(3).toString('hex');
  return {
    name: `Ceramic mug ${id}`,
    description: 'Hand-glazed stoneware, 350 ml',
    price: 12900,
    stock: 10,
    ...overrides,
  };
}

/** Creates a product through the admin API and answers its id. */
export async function createProduct(
  apiUrl: string,
  admin: { accessToken: string },
  overrides: Partial<NewProduct> = {},
): Promise<string> {
  const response = await request(apiUrl).post('/api/products').set(bearer(admin)).send(buildProduct(overrides));
  if (response.status !== 201)
    throw new Error(`product not created: ${response.status} ${JSON.stringify(response.body)}`);
  return (response.body as { id: string }).id;
}

/** Adds an address for the shopper and answers its id. */
export async function createAddress(apiUrl: string, shopper: { accessToken: string }): Promise<string> {
  const response = await request(apiUrl).post('/api/addresses').set(bearer(shopper)).send(buildAddress()).expect(201);
  return (response.body as { id: string }).id;
}

/** Places an order of `quantity` of one product through the API; answers the order (201 expected). */
export async function placeOrder(
  apiUrl: string,
  shopper: { accessToken: string },
  order: { productId: string; addressId: string; quantity?: number },
): Promise<{ id: string; expiresAt: string; status: string; total: number }> {
  const response = await request(apiUrl)
    .post('/api/orders')
    .set(bearer(shopper))
    .send({ items: [{ productId: order.productId, quantity: order.quantity ?? 1 }], addressId: order.addressId })
    .expect(201);
  return response.body as { id: string; expiresAt: string; status: string; total: number };
}
