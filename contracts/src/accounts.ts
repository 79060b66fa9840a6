import { Id, IsoDateTime } from './common.js';
import { z } from './zod.js';

export const Role = z.enum(['customer', 'admin']);
export type Role = z.infer<typeof Role>;

const Email = z.string().trim().toLowerCase().max(254).pipe(z.email()).openapi({ example: 'jimin@example.com' });

/** argon2 accepts longer input, but a bound keeps hashing cost predictable. */
const Password = z.string().min(8, 'must be at least 8 characters').max(128);

export const RegisterBody = z
  .object({
    email: Email,
    password: Password,
    name: z.string().trim().min(1).max(100),
  })
  .strict()
  .openapi('RegisterBody');
export type RegisterBody = z.infer<typeof RegisterBody>;

export const LoginBody = z
  .object({
    email: Email,
    password: z.string().min(1).max(128),
  })
  .strict()
  .openapi('LoginBody');
export type LoginBody = z.infer<typeof LoginBody>;

export const User = z
  .object({
    id: Id,
    email: z.string(),
    name: z.string(),
    role: Role,
    createdAt: IsoDateTime,
  })
  .openapi('User');
export type User = z.infer<typeof User>;

export const AuthSession = z.object({ user: User, accessToken: z.string() }).openapi('AuthSession');
export type AuthSession = z.infer<typeof AuthSession>;

export const RefreshedAccess = z.object({ accessToken: z.string() }).openapi('RefreshedAccess');
export type RefreshedAccess = z.infer<typeof RefreshedAccess>;

/** Name of the httpOnly cookie that carries the refresh token. */
export const REFRESH_COOKIE = 'vitrine_refresh';

export const UserList = z.object({ items: z.array(User), total: z.number().int() }).openapi('UserList');
export type UserList = z.infer<typeof UserList>;
