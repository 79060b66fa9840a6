import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FieldIssue, Product, ProductList } from '@vitrine/contracts';
import request from 'supertest';
import {
  ADMIN,
  ADMIN_ENV,
  bearer,
  buildProduct,
  loginUser,
  registerUser,
  type NewProduct,
  type SignedInUser,
} from '../../../test/support/factories.js';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';

describe('catalog', () => {
  let api: TestApi;
  let admin: SignedInUser;
  before(async () => {
    api = await startTestApi(ADMIN_ENV);
    admin = await loginUser(api.url, ADMIN.email, ADMIN.password);
  });
  after(() => api.stop());

  const create = async (overrides: Partial<NewProduct> = {}): Promise<Product> => {
    const response = await request(api.url).post('/api/products').set(bearer(admin)).send(buildProduct(overrides));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body as Product;
  };
  const detail = (id: string) => request(api.url).get(`/api/products/${id}`);
  const list = async (query: Record<string, string | number> = {}): Promise<ProductList> => {
    const response = await request(api.url).get('/api/products').query(query);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as ProductList;
  };
  /** A word no other test uses, so a search returns exactly this test's products. */
  const marker = () => `m${Math.random().toString(36).slice(2, 10)}`;
  const issueFields = (body: { error?: { details?: { issues?: FieldIssue[] } } }): string[] =>
    (body.error?.details?.issues ?? []).map((issue) => issue.field);

  it('when an admin creates a product, then it answers 201 with the product and its stock, and detail and list show it', async () => {
    const tag = marker();
    const body = buildProduct({ name: `무선 이어폰 ${tag}`, description: '노이즈 캔슬링', price: 129000, stock: 7 });

    const created = await request(api.url).post('/api/products').set(bearer(admin)).send(body).expect(201);

    const product = created.body as Product;
    assert.equal(typeof product.id, 'string');
    assert.deepEqual(product, {
      id: product.id,
      name: body.name,
      description: '노이즈 캔슬링',
      price: 129000,
      currency: 'KRW',
      stock: 7,
      imageUrl: null,
      rating: { average: 0, count: 0 },
      createdAt: product.createdAt,
      updatedAt: product.updatedAt,
    });
    assert.ok(!Number.isNaN(Date.parse(product.createdAt)) && product.createdAt.endsWith('Z'));
    assert.deepEqual((await detail(product.id).expect(200)).body, product);
    assert.deepEqual((await list({ q: tag })).items, [product]);
  });

  it('when a product is created, then its initial stock is in the stock ledger and stock levels', async () => {
    const product = await create({ stock: 12 });

    const [levels] = await api.sequelize.query('SELECT available FROM stock_levels WHERE product_id = :id', {
      replacements: { id: product.id },
    });
    const [ledger] = await api.sequelize.query('SELECT delta, reason FROM stock_ledger WHERE product_id = :id', {
      replacements: { id: product.id },
    });
    assert.deepEqual(
      (levels as { available: number }[]).map((row) => Number(row.available)),
      [12],
    );
    assert.deepEqual(
      (ledger as { delta: number; reason: string }[]).map((row) => [Number(row.delta), row.reason]),
      [[12, 'INITIAL']],
    );
  });

  it('when a product has an http or SVG data image, then imageUrl is kept, and null clears it', async () => {
    const svg = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
    const product = await create({ imageUrl: svg, currency: 'USD', price: 1999 });
    assert.equal(product.imageUrl, svg);
    assert.equal(product.currency, 'USD');

    const patched = await request(api.url)
      .patch(`/api/products/${product.id}`)
      .set(bearer(admin))
      .send({ imageUrl: null })
      .expect(200);
    assert.equal(patched.body.imageUrl, null);
  });

  describe('admin-only writes', () => {
    it('when a request carries no token, then every write answers 401 and nothing changes', async () => {
      const product = await create();

      const answers = await Promise.all([
        request(api.url).post('/api/products').send(buildProduct()),
        request(api.url).patch(`/api/products/${product.id}`).send({ price: 1 }),
        request(api.url).post(`/api/products/${product.id}/stock`).send({ delta: 5 }),
        request(api.url).delete(`/api/products/${product.id}`),
      ]);

      for (const [index, answer] of answers.entries()) {
        assert.equal(answer.status, 401, `write #${index}`);
        assert.equal(answer.body.error.code, 'UNAUTHENTICATED');
      }
      assert.deepEqual((await detail(product.id).expect(200)).body, product);
    });

    it('when a customer writes, then every write answers 403 FORBIDDEN and nothing changes', async () => {
      const product = await create();
      const customer = await registerUser(api.url);
      const tag = marker();

      const answers = await Promise.all([
        request(api.url)
          .post('/api/products')
          .set(bearer(customer))
          .send(buildProduct({ name: tag })),
        request(api.url).patch(`/api/products/${product.id}`).set(bearer(customer)).send({ price: 1 }),
        request(api.url).post(`/api/products/${product.id}/stock`).set(bearer(customer)).send({ delta: 5 }),
        request(api.url).delete(`/api/products/${product.id}`).set(bearer(customer)),
      ]);

      for (const [index, answer] of answers.entries()) {
        assert.equal(answer.status, 403, `write #${index}`);
        assert.equal(answer.body.error.code, 'FORBIDDEN');
      }
      assert.deepEqual((await detail(product.id).expect(200)).body, product);
      assert.equal((await list({ q: tag })).total, 0);
    });

    it('when anyone reads, then list and detail answer without a token', async () => {
      const product = await create();
      await detail(product.id).expect(200);
      await request(api.url).get('/api/products').expect(200);
    });
  });

  describe('validation', () => {
    const post = (body: object) => request(api.url).post('/api/products').set(bearer(admin)).send(body);

    it('when a create body has a negative or fractional price or stock, then 400 names each field', async () => {
      const tag = marker();
      for (const [field, value] of [
        ['price', -1],
        ['price', 10.5],
        ['stock', -1],
        ['stock', 1.5],
        ['price', '12900'],
      ] as const) {
        const response = await post({ ...buildProduct({ name: tag }), [field]: value }).expect(400);
        assert.equal(response.body.error.code, 'VALIDATION_FAILED');
        assert.deepEqual(issueFields(response.body), [field], `${field}=${String(value)}`);
      }
      assert.equal((await list({ q: tag })).total, 0);
    });

    it('when a create body misses fields or carries one that is not allowed, then 400 names them', async () => {
      const missing = await post({ description: 'no name, price or stock' }).expect(400);
      assert.deepEqual(issueFields(missing.body).sort(), ['name', 'price', 'stock']);

      const extra = await post({ ...buildProduct(), rating: { average: 5, count: 1000 }, id: 'mine' }).expect(400);
      assert.deepEqual(issueFields(extra.body).sort(), ['id', 'rating']);

      const bad = await post({
        ...buildProduct(),
        name: '  ',
        currency: 'krw',
        imageUrl: 'javascript:alert(1)',
      }).expect(400);
      assert.deepEqual(issueFields(bad.body).sort(), ['currency', 'imageUrl', 'name']);
    });

    it('when a patch carries stock, then 400 names stock and the product is unchanged', async () => {
      const product = await create({ stock: 4 });

      const response = await request(api.url)
        .patch(`/api/products/${product.id}`)
        .set(bearer(admin))
        .send({ price: 500, stock: 1000 })
        .expect(400);

      assert.equal(response.body.error.code, 'VALIDATION_FAILED');
      assert.ok(issueFields(response.body).includes('stock'), JSON.stringify(response.body));
      assert.match(response.body.error.message, /stock/);
      assert.deepEqual((await detail(product.id).expect(200)).body, product);
    });

    it('when a patch is empty or has a negative price, then 400', async () => {
      const product = await create();
      const patch = (body: object) =>
        request(api.url).patch(`/api/products/${product.id}`).set(bearer(admin)).send(body).expect(400);

      await patch({});
      assert.deepEqual(issueFields((await patch({ price: -5 })).body), ['price']);
      assert.deepEqual((await detail(product.id).expect(200)).body, product);
    });

    it('when a stock change is 0, fractional or carries an unknown field, then 400', async () => {
      const product = await create();
      const adjust = (body: object) =>
        request(api.url).post(`/api/products/${product.id}/stock`).set(bearer(admin)).send(body).expect(400);

      assert.deepEqual(issueFields((await adjust({ delta: 0 })).body), ['delta']);
      assert.deepEqual(issueFields((await adjust({ delta: 1.5 })).body), ['delta']);
      assert.deepEqual(issueFields((await adjust({ delta: 1, stock: 9 })).body), ['stock']);
      assert.deepEqual(issueFields((await adjust({})).body), ['delta']);
    });

    it('when a list query has an oversize limit, an unknown sort, page 0 or an unknown parameter, then 400 names it', async () => {
      for (const [query, field] of [
        [{ limit: 101 }, 'limit'],
        [{ limit: 0 }, 'limit'],
        [{ sort: 'cheapest' }, 'sort'],
        [{ page: 0 }, 'page'],
        [{ page: 'two' }, 'page'],
        [{ category: 'mugs' }, 'category'],
        [{ q: 'x'.repeat(101) }, 'q'],
      ] as const) {
        const response = await request(api.url).get('/api/products').query(query).expect(400);
        assert.equal(response.body.error.code, 'VALIDATION_FAILED');
        assert.deepEqual(issueFields(response.body), [field], JSON.stringify(query));
      }
      const full = await list({ limit: 100 });
      assert.equal(full.limit, 100);
    });
  });

  describe('soft delete', () => {
    it('when an admin deletes a product, then it answers 204 and leaves list and detail (404)', async () => {
      const tag = marker();
      const kept = await create({ name: `${tag} kept` });
      const removed = await create({ name: `${tag} removed` });
      assert.equal((await list({ q: tag })).total, 2);

      const response = await request(api.url).delete(`/api/products/${removed.id}`).set(bearer(admin)).expect(204);

      assert.equal(response.text, '');
      const after = await list({ q: tag });
      assert.deepEqual(
        after.items.map((item) => item.id),
        [kept.id],
      );
      assert.equal(after.total, 1);
      const gone = await detail(removed.id).expect(404);
      assert.equal(gone.body.error.code, 'NOT_FOUND');
    });

    it('when a product was deleted, then patch, stock change and delete answer 404, and the row is kept', async () => {
      const product = await create();
      await request(api.url).delete(`/api/products/${product.id}`).set(bearer(admin)).expect(204);

      await request(api.url).patch(`/api/products/${product.id}`).set(bearer(admin)).send({ price: 1 }).expect(404);
      await request(api.url)
        .post(`/api/products/${product.id}/stock`)
        .set(bearer(admin))
        .send({ delta: 1 })
        .expect(404);
      await request(api.url).delete(`/api/products/${product.id}`).set(bearer(admin)).expect(404);

      const [forOrder] = await api.services.catalog.getProductsForOrder([product.id]);
      assert.deepEqual(forOrder, {
        id: product.id,
        name: product.name,
        price: product.price,
        currency: 'KRW',
        deleted: true,
      });
    });

    it('when an id names nothing, then detail, patch, stock and delete answer 404 NOT_FOUND', async () => {
      const unknown = '01890a5d-ac96-774b-bcce-b302099a8057';
      for (const [what, response] of [
        ['detail', await detail(unknown)],
        ['patch', await request(api.url).patch(`/api/products/${unknown}`).set(bearer(admin)).send({ price: 1 })],
        ['stock', await request(api.url).post(`/api/products/${unknown}/stock`).set(bearer(admin)).send({ delta: 1 })],
        ['delete', await request(api.url).delete(`/api/products/${unknown}`).set(bearer(admin))],
      ] as const) {
        assert.equal(response.status, 404, what);
        assert.equal(response.body.error.code, 'NOT_FOUND');
      }
    });
  });

  describe('search, sort and pages', () => {
    it('when q is given, then it matches name or description, ignores case and takes % and _ literally', async () => {
      const tag = marker();
      const inName = await create({ name: `Linen Shirt ${tag}`, description: 'summer wear' });
      const inDescription = await create({ name: 'Plain tee', description: `soft cotton, ${tag.toUpperCase()} line` });
      const percent = await create({ name: `${tag} 100% 울 스웨터`, description: 'wool_blend' });
      await create({ name: 'Unrelated', description: 'nothing to see' });

      const ids = async (q: string) => (await list({ q, sort: 'price_asc', limit: 100 })).items.map((item) => item.id);

      assert.deepEqual((await ids(tag)).sort(), [inName.id, inDescription.id, percent.id].sort());
      assert.deepEqual(await ids(`shirt ${tag}`), [inName.id]);
      assert.deepEqual(await ids(`${tag} 100%`), [percent.id]);
      assert.deepEqual(await ids(`${tag} 100% 울 스웨`), [percent.id]);
      assert.deepEqual(await ids(`${tag}%`), [], '% is not a wildcard');
      assert.deepEqual(await ids(`${tag.slice(0, -1)}_`), [], '_ is not a wildcard');
      assert.equal((await list({ q: `  ${tag}  ` })).total, 3, 'q is trimmed');
    });

    it('when sorted, then every order is right and ties are broken by id, the same on every page', async () => {
      const tag = marker();
      const made: Product[] = [];
      for (const price of [3000, 1000, 2000, 2000, 5000, 1000])
        made.push(await create({ name: `${tag} p${price}`, price }));
      const byId = (a: Product, b: Product) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      const sortedIds = (products: Product[]) => products.map((product) => product.id);

      const newest = await list({ q: tag, sort: 'newest' });
      assert.deepEqual(sortedIds(newest.items), sortedIds([...made].reverse()));
      assert.deepEqual(sortedIds((await list({ q: tag })).items), sortedIds(newest.items), 'newest is the default');

      const ascending = [...made].sort((a, b) => a.price - b.price || byId(a, b));
      assert.deepEqual(sortedIds((await list({ q: tag, sort: 'price_asc' })).items), sortedIds(ascending));
      const descending = [...made].sort((a, b) => b.price - a.price || byId(b, a));
      assert.deepEqual(sortedIds((await list({ q: tag, sort: 'price_desc' })).items), sortedIds(descending));

      // Page by page, the same order and no product twice or missing.
      const paged: string[] = [];
      for (let page = 1; page <= 3; page++) {
        paged.push(...sortedIds((await list({ q: tag, sort: 'price_asc', page, limit: 2 })).items));
      }
      assert.deepEqual(paged, sortedIds(ascending));
    });

    it('when sorted by rating, then the highest average comes first, then the most reviews, then id', async () => {
      const tag = marker();
      const [low, high, highMore, none, tieA, tieB] = await Promise.all(
        ['low', 'high', 'highMore', 'none', 'tieA', 'tieB'].map((name) => create({ name: `${tag} ${name}` })),
      );
      const rate = async (product: Product | undefined, ratings: number[]) => {
        for (const rating of ratings) {
          await api.sequelize.transaction((transaction) =>
            api.services.catalog.applyRatingChange(product!.id, { countDelta: 1, totalDelta: rating }, transaction),
          );
        }
      };
      await rate(low, [2, 3]);
      await rate(high, [5, 4]);
      await rate(highMore, [5, 4, 4, 5]);
      await rate(tieA, [3]);
      await rate(tieB, [3]);

      const items = (await list({ q: tag, sort: 'rating' })).items;

      const [tieFirst, tieSecond] = [tieA!, tieB!].sort((a, b) => (a.id > b.id ? -1 : 1));
      assert.deepEqual(
        items.map((item) => item.id),
        [highMore!.id, high!.id, tieFirst!.id, tieSecond!.id, low!.id, none!.id],
      );
      assert.deepEqual(items[0]?.rating, { average: 4.5, count: 4 });
      assert.deepEqual(items.at(-2)?.rating, { average: 2.5, count: 2 });
      assert.deepEqual(items.at(-1)?.rating, { average: 0, count: 0 });

      // A review removed: back to what the others say, and the list knows at once.
      await api.sequelize.transaction((transaction) =>
        api.services.catalog.applyRatingChange(low!.id, { countDelta: -1, totalDelta: -2 }, transaction),
      );
      assert.deepEqual((await detail(low!.id).expect(200)).body.rating, { average: 3, count: 1 });
    });

    it('when paging, then total counts every match, pages hold limit items and a page past the end is empty', async () => {
      const tag = marker();
      for (let index = 0; index < 5; index++) await create({ name: `${tag} item ${index}` });

      const first = await list({ q: tag, page: 1, limit: 2 });
      const last = await list({ q: tag, page: 3, limit: 2 });
      const beyond = await list({ q: tag, page: 4, limit: 2 });

      assert.deepEqual([first.total, first.page, first.limit, first.items.length], [5, 1, 2, 2]);
      assert.deepEqual([last.total, last.page, last.items.length], [5, 3, 1]);
      assert.deepEqual([beyond.total, beyond.items], [5, []]);
      const defaults = await list();
      assert.deepEqual([defaults.page, defaults.limit], [1, 20]);
      assert.ok(defaults.items.length <= 20);
    });
  });

  describe('stock', () => {
    it('when an admin restocks and writes off, then the answer, detail and list show the new stock', async () => {
      const tag = marker();
      const product = await create({ name: tag, stock: 10 });
      await list({ q: tag }); // cached before the change

      const restocked = await request(api.url)
        .post(`/api/products/${product.id}/stock`)
        .set(bearer(admin))
        .send({ delta: 5, reason: 'delivery' })
        .expect(200);
      assert.deepEqual(restocked.body, { ...product, stock: 15 });

      const writtenOff = await request(api.url)
        .post(`/api/products/${product.id}/stock`)
        .set(bearer(admin))
        .send({ delta: -12 })
        .expect(200);
      assert.equal(writtenOff.body.stock, 3);
      assert.equal((await detail(product.id).expect(200)).body.stock, 3);
      assert.equal((await list({ q: tag })).items[0]?.stock, 3);

      const [ledger] = await api.sequelize.query(
        'SELECT delta, reason, note FROM stock_ledger WHERE product_id = :id ORDER BY id',
        { replacements: { id: product.id } },
      );
      assert.deepEqual(
        (ledger as { delta: number; reason: string; note: string | null }[]).map((row) => [
          Number(row.delta),
          row.reason,
          row.note,
        ]),
        [
          [10, 'INITIAL', null],
          [5, 'ADJUSTMENT', 'delivery'],
          [-12, 'ADJUSTMENT', null],
        ],
      );
    });

    it('when a write-off would go below zero, then 409 OUT_OF_STOCK and the stock is unchanged', async () => {
      const tag = marker();
      const product = await create({ name: tag, stock: 2 });

      const response = await request(api.url)
        .post(`/api/products/${product.id}/stock`)
        .set(bearer(admin))
        .send({ delta: -3 })
        .expect(409);

      assert.equal(response.body.error.code, 'OUT_OF_STOCK');
      assert.equal((await detail(product.id).expect(200)).body.stock, 2);
      assert.equal((await list({ q: tag })).items[0]?.stock, 2);
    });
  });

  it('when an admin edits a product, then the answer and the (cached) detail and list show the change', async () => {
    const tag = marker();
    const product = await create({ name: `${tag} before`, price: 10000 });
    await detail(product.id).expect(200);
    await list({ q: tag });

    const patched = await request(api.url)
      .patch(`/api/products/${product.id}`)
      .set(bearer(admin))
      .send({ name: `${tag} after`, price: 8900, description: 'updated' })
      .expect(200);

    assert.deepEqual(patched.body, {
      ...product,
      name: `${tag} after`,
      price: 8900,
      description: 'updated',
      updatedAt: patched.body.updatedAt,
    });
    assert.ok(patched.body.updatedAt >= product.updatedAt);
    assert.deepEqual((await detail(product.id).expect(200)).body, patched.body);
    assert.deepEqual((await list({ q: tag })).items, [patched.body]);
  });
});
