import { Address, AddressList, CreateAddressBody, IdParams, UpdateAddressBody } from '@vitrine/contracts';
import { defineRoute, type Route } from '../../platform/http/route.js';
import type { AddressesService } from './addresses.service.js';

export function addressesRoutes(addresses: AddressesService): Route[] {
  const notFound = { description: 'NOT_FOUND: no such address in your book' };
  return [
    defineRoute({
      method: 'get',
      path: '/addresses',
      summary: 'Your address book, default first',
      tag: 'addresses',
      access: 'user',
      responses: { 200: { description: 'Your addresses', schema: AddressList } },
      async handle({ identity }) {
        return { status: 200, body: { items: await addresses.list(identity.userId) } satisfies AddressList };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/addresses',
      summary: 'Add an address (the first one becomes the default)',
      tag: 'addresses',
      access: 'user',
      request: { body: CreateAddressBody },
      responses: { 201: { description: 'The new address', schema: Address } },
      async handle({ identity, body }) {
        return { status: 201, body: await addresses.create(identity.userId, body) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/addresses/:id',
      summary: 'Change an address, or make it the default',
      tag: 'addresses',
      access: 'user',
      request: { params: IdParams, body: UpdateAddressBody },
      responses: { 200: { description: 'The address', schema: Address }, 404: notFound },
      async handle({ identity, params, body }) {
        return { status: 200, body: await addresses.update(identity.userId, params.id, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/addresses/:id',
      summary: 'Remove an address (the newest remaining one inherits the default)',
      tag: 'addresses',
      access: 'user',
      request: { params: IdParams },
      responses: { 204: { description: 'Removed' }, 404: notFound },
      async handle({ identity, params }) {
        await addresses.remove(identity.userId, params.id);
        return { status: 204 };
      },
    }),
  ];
}
