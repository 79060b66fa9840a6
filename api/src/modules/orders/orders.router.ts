import {
  AdminOrderList,
  AdminOrderQuery,
  IdempotencyKey,
  IdParams,
  Order,
  OrderList,
  PlaceOrderBody,
} from '@vitrine/contracts';
import type { Request } from 'express';
import type { Idempotency } from '../../platform/idempotency.js';
import { defineRoute, type Route } from '../../platform/http/route.js';
import { parseRequestPart } from '../../platform/http/validation.js';
import type { OrdersService } from './orders.service.js';

/** The optional `Idempotency-Key` header, validated like any other input. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const header = req.get('idempotency-key');
  if (header === undefined) return undefined;
  return parseRequestPart(IdempotencyKey, header, 'headers');
}

export function ordersRoutes(deps: { orders: OrdersService; idempotency: Idempotency }): Route[] {
  const { orders, idempotency } = deps;
  const notFound = { description: 'NOT_FOUND: no such order of yours' };
  return [
    defineRoute({
      method: 'post',
      path: '/orders',
      summary: 'Place an order: reserves the stock of every line at once (all or none) until paid or expired',
      tag: 'orders',
      access: 'user',
      request: { body: PlaceOrderBody },
      responses: {
        201: { description: 'The order, PENDING_PAYMENT until `expiresAt`', schema: Order },
        404: { description: 'NOT_FOUND: unknown product or address' },
        409: { description: 'OUT_OF_STOCK (nothing reserved) or IDEMPOTENCY_IN_PROGRESS' },
        422: { description: 'IDEMPOTENCY_MISMATCH: the key was used with another body' },
      },
      async handle({ identity, body, req }) {
        return idempotency.run(
          { userId: identity.userId, scope: 'orders.place', key: idempotencyKeyOf(req), body },
          async () => ({ status: 201, body: await orders.placeOrder(identity.userId, body) }),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orders',
      summary: 'Your orders, newest first',
      tag: 'orders',
      access: 'user',
      responses: { 200: { description: 'Your orders', schema: OrderList } },
      async handle({ identity }) {
        return { status: 200, body: { items: await orders.listOwnOrders(identity.userId) } satisfies OrderList };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orders/:id',
      summary: 'One order (its owner or an admin)',
      tag: 'orders',
      access: 'user',
      request: { params: IdParams },
      responses: { 200: { description: 'The order', schema: Order }, 404: notFound },
      async handle({ identity, params }) {
        return { status: 200, body: await orders.getOrder(identity, params.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/orders/:id/cancel',
      summary: 'Cancel a pending order (its owner or an admin); its stock comes back',
      tag: 'orders',
      access: 'user',
      request: { params: IdParams },
      responses: {
        200: { description: 'The order, CANCELLED', schema: Order },
        404: notFound,
        409: { description: 'ORDER_NOT_PENDING: already paid or cancelled' },
      },
      async handle({ identity, params }) {
        return { status: 200, body: await orders.cancelOrder(identity, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/admin/orders',
      summary: 'All orders, newest first, optionally by status (administrators)',
      tag: 'admin',
      access: 'admin',
      request: { query: AdminOrderQuery },
      responses: { 200: { description: 'A page of orders', schema: AdminOrderList } },
      async handle({ query }) {
        return { status: 200, body: (await orders.listAllOrders(query)) satisfies AdminOrderList };
      },
    }),
  ];
}
