import {
  AdjustStockBody,
  CreateProductBody,
  IdParams,
  Product,
  ProductList,
  ProductListQuery,
  UpdateProductBody,
} from '@vitrine/contracts';
import { defineRoute, JsonBytes, type Route } from '../../platform/http/route.js';
import type { CatalogService } from './catalog.service.js';

export function catalogRoutes(catalog: CatalogService): Route[] {
  const notFound = { description: 'NOT_FOUND: no such product, or it was deleted' };
  return [
    defineRoute({
      method: 'get',
      path: '/products',
      summary: 'Listed products, a page at a time, with their buyable stock',
      tag: 'catalog',
      access: 'public',
      request: { query: ProductListQuery },
      responses: { 200: { description: 'A page of products and the total that match', schema: ProductList } },
      async handle({ query }) {
        return { status: 200, body: new JsonBytes(await catalog.listPage(query)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/products/:id',
      summary: 'One product with its buyable stock',
      tag: 'catalog',
      access: 'public',
      request: { params: IdParams },
      responses: { 200: { description: 'The product', schema: Product }, 404: notFound },
      async handle({ params }) {
        return { status: 200, body: await catalog.get(params.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/products',
      summary: 'Create a product with its initial stock (administrators)',
      tag: 'catalog',
      access: 'admin',
      request: { body: CreateProductBody },
      responses: { 201: { description: 'The new product', schema: Product } },
      async handle({ body }) {
        return { status: 201, body: await catalog.create(body) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/products/:id',
      summary: 'Edit a product; stock is changed through POST /products/{id}/stock (administrators)',
      tag: 'catalog',
      access: 'admin',
      request: { params: IdParams, body: UpdateProductBody },
      responses: { 200: { description: 'The product', schema: Product }, 404: notFound },
      async handle({ params, body }) {
        return { status: 200, body: await catalog.update(params.id, body) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/products/:id/stock',
      summary: 'Restock (positive delta) or write off (negative), recorded in the stock ledger (administrators)',
      tag: 'catalog',
      access: 'admin',
      request: { params: IdParams, body: AdjustStockBody },
      responses: {
        200: { description: 'The product with its new stock', schema: Product },
        404: notFound,
        409: { description: 'OUT_OF_STOCK: the change would take buyable stock below zero' },
      },
      async handle({ params, body }) {
        return { status: 200, body: await catalog.adjustStock(params.id, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/products/:id',
      summary: 'Remove a product from the catalog; past orders keep it (administrators)',
      tag: 'catalog',
      access: 'admin',
      request: { params: IdParams },
      responses: { 204: { description: 'Removed' }, 404: notFound },
      async handle({ params }) {
        await catalog.remove(params.id);
        return { status: 204 };
      },
    }),
  ];
}
