import {
  AuthSession,
  LoginBody,
  PageQuery,
  REFRESH_COOKIE,
  RefreshedAccess,
  RegisterBody,
  User,
  UserList,
} from '@vitrine/contracts';
import type { RequestHandler, Response } from 'express';
import { defineRoute, type Route } from '../../platform/http/route.js';
import type { AccountsService, IssuedSession } from './accounts.service.js';

const COOKIE_PATH = '/api/auth';

export function accountsRoutes(deps: {
  accounts: AccountsService;
  cookieSecure: boolean;
  loginRateLimits: RequestHandler[];
}): Route[] {
  const { accounts, cookieSecure } = deps;

  const setRefreshCookie = (res: Response, session: IssuedSession) => {
    res.cookie(REFRESH_COOKIE, session.refreshToken, {
      httpOnly: true,
      secure: cookieSecure,
      sameSite: 'strict',
      path: COOKIE_PATH,
      expires: session.refreshTokenExpiresAt,
    });
  };
  const readRefreshCookie = (cookies: unknown): string | undefined => {
    const value = (cookies as Record<string, unknown> | undefined)?.[REFRESH_COOKIE];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const sessionAnswer = (session: IssuedSession): AuthSession => ({
    user: session.user,
    accessToken: session.accessToken,
  });

  return [
    defineRoute({
      method: 'post',
      path: '/auth/register',
      summary: 'Create a customer account and start a session',
      tag: 'auth',
      access: 'public',
      request: { body: RegisterBody },
      responses: {
        201: { description: 'Account created; the refresh token is set as an httpOnly cookie', schema: AuthSession },
        409: { description: 'EMAIL_TAKEN' },
      },
      async handle({ body, res }) {
        const session = await accounts.register(body);
        setRefreshCookie(res, session);
        return { status: 201, body: sessionAnswer(session) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/login',
      summary: 'Log in with email and password',
      tag: 'auth',
      access: 'public',
      request: { body: LoginBody },
      responses: {
        200: { description: 'Logged in; the refresh token is set as an httpOnly cookie', schema: AuthSession },
        401: { description: 'UNAUTHENTICATED: email or password is incorrect' },
        429: { description: 'RATE_LIMITED: too many failed logins for this account or address' },
      },
      before: deps.loginRateLimits,
      async handle({ body, res }) {
        const session = await accounts.login(body);
        setRefreshCookie(res, session);
        return { status: 200, body: sessionAnswer(session) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Exchange the refresh cookie for a new access token (the refresh token rotates)',
      tag: 'auth',
      access: 'public',
      responses: {
        200: { description: 'A new access token; a new refresh cookie replaces the old one', schema: RefreshedAccess },
        401: { description: 'UNAUTHENTICATED: missing, expired, revoked or reused refresh token' },
      },
      async handle({ req, res }) {
        const session = await accounts.refresh(readRefreshCookie(req.cookies));
        setRefreshCookie(res, session);
        return { status: 200, body: { accessToken: session.accessToken } satisfies RefreshedAccess };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/logout',
      summary: 'End the session of the refresh cookie',
      tag: 'auth',
      access: 'public',
      responses: { 204: { description: 'Logged out; the refresh cookie is cleared' } },
      async handle({ req, res }) {
        await accounts.logout(readRefreshCookie(req.cookies));
        res.clearCookie(REFRESH_COOKIE, {
          httpOnly: true,
          secure: cookieSecure,
          sameSite: 'strict',
          path: COOKIE_PATH,
        });
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/me',
      summary: 'The signed-in user',
      tag: 'auth',
      access: 'user',
      responses: { 200: { description: 'The user', schema: User } },
      async handle({ identity }) {
        return { status: 200, body: await accounts.getUser(identity.userId) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/admin/users',
      summary: 'All accounts, newest first (administrators)',
      tag: 'admin',
      access: 'admin',
      request: { query: PageQuery },
      responses: { 200: { description: 'A page of accounts', schema: UserList } },
      async handle({ query }) {
        return { status: 200, body: (await accounts.listUsers(query)) satisfies UserList };
      },
    }),
  ];
}
