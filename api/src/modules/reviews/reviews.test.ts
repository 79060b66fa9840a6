import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FieldIssue, Product, ProductList, ProductRating, Review, ReviewList } from '@vitrine/contracts';
import request from 'supertest';
import {
  ADMIN,
  ADMIN_ENV,
  bearer,
  createAddress,
  createProduct,
  loginUser,
  registerUser,
  type SignedInUser,
} from '../../../test/support/factories.js';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';

describe('reviews', () => {
  let api: TestApi;
  let admin: SignedInUser;
  before(async () => {
    api = await startTestApi(ADMIN_ENV);
    admin = await loginUser(api.url, ADMIN.email, ADMIN.password);
  });
  after(() => api.stop());

  /** A word no other test uses, so a catalog search returns exactly this test's products. */
  const marker = () => `r${randomBytes(5).toString('hex')}`;
  const newProduct = async (name = `Tea bowl ${marker()}`) => ({
    id: await createProduct(api.url, admin, { name }),
    name,
  });
  const shopperNamed = () => registerUser(api.url, { name: `Reviewer ${randomBytes(3).toString('hex')}` });

  const placeOrder = async (shopper: SignedInUser, productIds: string[]): Promise<string> => {
    const addressId = await createAddress(api.url, shopper);
    const placed = await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .send({ items: productIds.map((productId) => ({ productId, quantity: 1 })), addressId })
      .expect(201);
    return (placed.body as { id: string }).id;
  };
  const pay = (shopper: SignedInUser, orderId: string) =>
    request(api.url)
      .post(`/api/orders/${orderId}/pay`)
      .set(bearer(shopper))
      .send({ method: 'sandbox', token: 'tok_ok' })
      .expect(200);

  /** A new shopper with a PAID order of these products. */
  const buyer = async (...productIds: string[]): Promise<SignedInUser> => {
    const shopper = await shopperNamed();
    await pay(shopper, await placeOrder(shopper, productIds));
    return shopper;
  };

  const post = (shopper: SignedInUser, productId: string, body: object) =>
    request(api.url).post(`/api/products/${productId}/reviews`).set(bearer(shopper)).send(body);
  const review = async (shopper: SignedInUser, productId: string, rating: number, body = 'Good.'): Promise<Review> => {
    const response = await post(shopper, productId, { rating, body });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body as Review;
  };
  const reviewsOf = async (productId: string, query: Record<string, string | number> = {}): Promise<ReviewList> => {
    const response = await request(api.url).get(`/api/products/${productId}/reviews`).query(query);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as ReviewList;
  };
  const ratingInDetail = async (productId: string): Promise<ProductRating> =>
    ((await request(api.url).get(`/api/products/${productId}`).expect(200)).body as Product).rating;
  const ratingInList = async (product: { id: string; name: string }): Promise<ProductRating | undefined> => {
    const listed = (await request(api.url).get('/api/products').query({ q: product.name }).expect(200))
      .body as ProductList;
    return listed.items.find((item) => item.id === product.id)?.rating;
  };
  /** The product's rating in detail and in the catalog list, polled for up to 1 s until both are `expected`. */
  const assertRatingWithin1s = async (product: { id: string; name: string }, expected: ProductRating) => {
    const deadline = Date.now() + 1_000;
    for (;;) {
      const seen = { detail: await ratingInDetail(product.id), list: await ratingInList(product) };
      const settled =
        JSON.stringify(seen.detail) === JSON.stringify(expected) &&
        JSON.stringify(seen.list) === JSON.stringify(expected);
      if (settled) return;
      if (Date.now() > deadline) {
        assert.deepEqual(seen, { detail: expected, list: expected }, 'the rating was not shown within 1 s');
      }
      await sleep(50);
    }
  };
  const issueFields = (body: { error?: { details?: { issues?: FieldIssue[] } } }): string[] =>
    (body.error?.details?.issues ?? []).map((issue) => issue.field);

  describe('who may review', () => {
    it('when a shopper never bought the product, has only an unpaid order or only a cancelled one, then POST answers 403 FORBIDDEN and stores nothing', async () => {
      const product = await newProduct();
      const stranger = await shopperNamed();
      const unpaid = await shopperNamed();
      await placeOrder(unpaid, [product.id]);
      const cancelled = await shopperNamed();
      const cancelledOrder = await placeOrder(cancelled, [product.id]);
      await request(api.url).post(`/api/orders/${cancelledOrder}/cancel`).set(bearer(cancelled)).expect(200);
      // A paid order of another product does not count either.
      const other = await newProduct();
      const otherBuyer = await buyer(other.id);

      for (const [label, shopper] of [
        ['never bought', stranger],
        ['unpaid', unpaid],
        ['cancelled', cancelled],
        ['bought another product', otherBuyer],
      ] as const) {
        const answer = await post(shopper, product.id, { rating: 5, body: 'Lovely' });
        assert.equal(answer.status, 403, `${label}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'FORBIDDEN', label);
      }

      const list = await reviewsOf(product.id);
      assert.deepEqual([list.items, list.total, list.count, list.average], [[], 0, 0, 0]);
      assert.deepEqual(await ratingInDetail(product.id), { average: 0, count: 0 });
    });

    it('when a buyer with a paid order reviews, then 201 answers the review as a verified purchase with their name and never their email', async () => {
      const product = await newProduct();
      const shopper = await buyer(product.id);

      const answer = await post(shopper, product.id, { rating: 4, body: 'Holds heat well.' }).expect(201);

      const created = answer.body as Review;
      assert.deepEqual(created, {
        id: created.id,
        productId: product.id,
        rating: 4,
        body: 'Holds heat well.',
        author: { id: shopper.user.id, name: shopper.user.name },
        verifiedPurchase: true,
        createdAt: created.createdAt,
        updatedAt: created.updatedAt,
      });
      assert.equal(typeof created.id, 'string');
      assert.ok(Math.abs(Date.parse(created.createdAt) - Date.now()) < 60_000, created.createdAt);
      assert.equal(created.updatedAt, created.createdAt);
      assert.equal(answer.text.includes(shopper.user.email), false, 'the author’s email is not in the answer');

      const listed = await request(api.url).get(`/api/products/${product.id}/reviews`).expect(200);
      assert.deepEqual(listed.body.items, [created]);
      assert.equal(listed.text.includes(shopper.user.email), false, 'the author’s email is not in the list');
      assert.deepEqual(await ratingInDetail(product.id), { average: 4, count: 1 });
    });

    it('when an unknown or deleted product is reviewed or its reviews are asked for, then the answer is 404 NOT_FOUND', async () => {
      const product = await newProduct();
      const shopper = await buyer(product.id);
      await review(shopper, product.id, 5);
      await request(api.url).delete(`/api/products/${product.id}`).set(bearer(admin)).expect(204);

      const gone = await request(api.url).get(`/api/products/${product.id}/reviews`).expect(404);
      assert.equal(gone.body.error.code, 'NOT_FOUND');
      const unknown = await request(api.url).get('/api/products/no-such-product/reviews').expect(404);
      assert.equal(unknown.body.error.code, 'NOT_FOUND');

      const other = await newProduct();
      const otherBuyer = await buyer(other.id);
      await request(api.url).delete(`/api/products/${other.id}`).set(bearer(admin)).expect(204);
      const onDeleted = await post(otherBuyer, other.id, { rating: 3, body: 'Fine' }).expect(404);
      assert.equal(onDeleted.body.error.code, 'NOT_FOUND');
    });

    it('when a request carries no token, then POST, PATCH and DELETE answer 401 and reading stays public', async () => {
      const product = await newProduct();
      const created = await review(await buyer(product.id), product.id, 5);

      const answers = await Promise.all([
        request(api.url).post(`/api/products/${product.id}/reviews`).send({ rating: 1, body: 'x' }),
        request(api.url).patch(`/api/reviews/${created.id}`).send({ rating: 1 }),
        request(api.url).delete(`/api/reviews/${created.id}`),
      ]);

      for (const answer of answers) {
        assert.equal(answer.status, 401);
        assert.equal(answer.body.error.code, 'UNAUTHENTICATED');
      }
      assert.deepEqual((await reviewsOf(product.id)).items, [created]);
    });
  });

  describe('one review per user and product', () => {
    it('when a buyer reviews the same product again, then 409 ALREADY_REVIEWED and the first review stands', async () => {
      const product = await newProduct();
      const shopper = await buyer(product.id);
      const first = await review(shopper, product.id, 5, 'First');

      const second = await post(shopper, product.id, { rating: 1, body: 'Second' }).expect(409);

      assert.equal(second.body.error.code, 'ALREADY_REVIEWED');
      const list = await reviewsOf(product.id);
      assert.deepEqual(list.items, [first]);
      assert.deepEqual([list.total, list.count, list.average], [1, 1, 5]);
      assert.deepEqual(await ratingInDetail(product.id), { average: 5, count: 1 });
    });

    it('when a buyer posts five reviews of one product at once, then exactly one is answered 201, the others 409, and the rating counts one', async () => {
      const product = await newProduct();
      const shopper = await buyer(product.id);

      const answers = await Promise.all(
        [1, 2, 3, 4, 5].map((rating) => post(shopper, product.id, { rating, body: `Take ${rating}` })),
      );

      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [201, 409, 409, 409, 409], JSON.stringify(answers.map((answer) => answer.body)));
      for (const refused of answers.filter((answer) => answer.status === 409)) {
        assert.equal(refused.body.error.code, 'ALREADY_REVIEWED');
      }
      const winner = answers.find((answer) => answer.status === 201)!.body as Review;
      const list = await reviewsOf(product.id);
      assert.deepEqual(list.items, [winner]);
      assert.deepEqual(await ratingInDetail(product.id), { average: winner.rating, count: 1 });
    });

    it('when different buyers post, edit and delete reviews of one product at once, then every change lands and the rating matches the reviews', async () => {
      const product = await newProduct();
      const buyers = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => buyer(product.id)));
      const earlier = await Promise.all(buyers.slice(0, 3).map((shopper) => review(shopper, product.id, 3)));

      const answers = await Promise.all([
        ...buyers
          .slice(3)
          .map((shopper, index) => post(shopper, product.id, { rating: (index % 5) + 1, body: `#${index}` })),
        request(api.url).patch(`/api/reviews/${earlier[0]!.id}`).set(bearer(buyers[0]!)).send({ rating: 5 }),
        request(api.url).patch(`/api/reviews/${earlier[1]!.id}`).set(bearer(admin)).send({ rating: 1 }),
        request(api.url).delete(`/api/reviews/${earlier[2]!.id}`).set(bearer(buyers[2]!)),
      ]);

      assert.deepEqual(
        answers.map((answer) => answer.status),
        [201, 201, 201, 201, 201, 201, 200, 200, 204],
        JSON.stringify(answers.map((answer) => answer.body)),
      );
      const list = await reviewsOf(product.id);
      // New: 1+2+3+4+5+1 = 16; edited: 5 and 1; so 22 over 8 reviews.
      assert.equal(
        list.items.reduce((sum, item) => sum + item.rating, 0),
        22,
      );
      assert.deepEqual([list.total, list.count, list.average], [8, 8, 2.75]);
      assert.deepEqual(await ratingInDetail(product.id), { average: 2.75, count: 8 });
    });

    it('when an author deletes their review, then 204, the rating drops it, and they may review the product again', async () => {
      const product = await newProduct();
      const shopper = await buyer(product.id);
      const other = await buyer(product.id);
      await review(other, product.id, 2);
      const mine = await review(shopper, product.id, 5);
      await assertRatingWithin1s(product, { average: 3.5, count: 2 });

      await request(api.url).delete(`/api/reviews/${mine.id}`).set(bearer(shopper)).expect(204);

      await assertRatingWithin1s(product, { average: 2, count: 1 });
      assert.equal(
        (await reviewsOf(product.id)).items.some((item) => item.id === mine.id),
        false,
      );
      await request(api.url).patch(`/api/reviews/${mine.id}`).set(bearer(shopper)).send({ rating: 1 }).expect(404);
      await request(api.url).delete(`/api/reviews/${mine.id}`).set(bearer(shopper)).expect(404);
      await review(shopper, product.id, 4);
      await assertRatingWithin1s(product, { average: 3, count: 2 });
    });
  });

  describe('what a review may say', () => {
    it('when the rating is 0, 6, 2.5, a string, null or missing, or the body is empty, blank, missing, 5,001 characters or not valid Unicode, then 400 names the field and nothing is stored', async () => {
      const product = await newProduct();
      const shopper = await buyer(product.id);
      const cases: [object, string][] = [
        [{ rating: 0, body: 'ok' }, 'rating'],
        [{ rating: 6, body: 'ok' }, 'rating'],
        [{ rating: 2.5, body: 'ok' }, 'rating'],
        [{ rating: '5', body: 'ok' }, 'rating'],
        [{ rating: null, body: 'ok' }, 'rating'],
        [{ body: 'ok' }, 'rating'],
        [{ rating: 3, body: '' }, 'body'],
        [{ rating: 3, body: ' \n\t ' }, 'body'],
        [{ rating: 3 }, 'body'],
        [{ rating: 3, body: 7 }, 'body'],
        [{ rating: 3, body: 'a'.repeat(5001) }, 'body'],
        [{ rating: 3, body: '😀'.repeat(5001) }, 'body'],
        [{ rating: 3, body: 'half an emoji \ud83d' }, 'body'],
      ];

      for (const [body, field] of cases) {
        const answer = await post(shopper, product.id, body);
        assert.equal(answer.status, 400, `${JSON.stringify(body).slice(0, 60)}: ${answer.status}`);
        assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
        assert.deepEqual(issueFields(answer.body), [field], JSON.stringify(answer.body.error));
        assert.match(answer.body.error.message, new RegExp(field));
      }
      assert.deepEqual((await reviewsOf(product.id)).total, 0);
      assert.deepEqual(await ratingInDetail(product.id), { average: 0, count: 0 });
    });

    it('when a body carries a field the client may not set, then 400 names it and nothing is stored', async () => {
      const product = await newProduct();
      const shopper = await buyer(product.id);
      const other = await shopperNamed();

      for (const extra of [
        { verifiedPurchase: true },
        { userId: other.user.id },
        { productId: product.id },
        { author: { id: other.user.id, name: 'Someone' } },
      ]) {
        const answer = await post(shopper, product.id, { rating: 5, body: 'ok', ...extra }).expect(400);
        assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
        assert.deepEqual(issueFields(answer.body), Object.keys(extra));
      }
      assert.equal((await reviewsOf(product.id)).total, 0);
    });

    it('when a body is exactly 5,000 characters, emoji counting once each, then it is accepted whole', async () => {
      const product = await newProduct();
      const [plain, emoji] = await Promise.all([buyer(product.id), buyer(product.id)]);

      const long = await review(plain, product.id, 3, 'a'.repeat(5000));
      const smiles = await review(emoji, product.id, 3, '😀'.repeat(5000));

      assert.equal(long.body, 'a'.repeat(5000));
      assert.equal(smiles.body, '😀'.repeat(5000));
      const bodies = (await reviewsOf(product.id)).items.map((item) => item.body).sort();
      assert.deepEqual(bodies, ['a'.repeat(5000), '😀'.repeat(5000)].sort());
    });

    it('when a body holds markup, quotes, white space and other scripts, then it comes back byte-for-byte, never escaped into HTML', async () => {
      const product = await newProduct();
      const shopper = await buyer(product.id);
      const text =
        '  <script>alert(1)</script> & "quotes" \'single\' &amp; <b>bold</b>\r\n\t맛있어요 😀 \\ / \u00a0end  ';

      const created = await post(shopper, product.id, { rating: 5, body: text }).expect(201);

      assert.equal(created.body.body, text);
      assert.equal(created.text.includes(JSON.stringify(text)), true, 'the JSON carries the text as sent');
      assert.equal(created.text.includes('&lt;'), false);
      const listed = await request(api.url).get(`/api/products/${product.id}/reviews`).expect(200);
      assert.equal(listed.body.items[0].body, text);
      assert.equal(listed.text.includes(JSON.stringify(text)), true);

      const edited = `${text}<img src=x onerror=alert(2)>`;
      const patched = await request(api.url)
        .patch(`/api/reviews/${created.body.id}`)
        .set(bearer(shopper))
        .send({ body: edited })
        .expect(200);
      assert.equal(patched.body.body, edited);
      assert.equal((await reviewsOf(product.id)).items[0]?.body, edited);
    });
  });

  describe('changing a review', () => {
    it("when the author edits the rating, then the product's average in detail and list follows within 1 s", async () => {
      const product = await newProduct();
      const [author, other] = await Promise.all([buyer(product.id), buyer(product.id)]);
      await review(other, product.id, 5);
      const mine = await review(author, product.id, 3, 'Decent');
      await assertRatingWithin1s(product, { average: 4, count: 2 });

      const patched = await request(api.url)
        .patch(`/api/reviews/${mine.id}`)
        .set(bearer(author))
        .send({ rating: 1 })
        .expect(200);

      assert.deepEqual(patched.body, { ...mine, rating: 1, updatedAt: patched.body.updatedAt });
      assert.ok(Date.parse(patched.body.updatedAt) >= Date.parse(mine.updatedAt));
      await assertRatingWithin1s(product, { average: 3, count: 2 });
      const list = await reviewsOf(product.id);
      assert.deepEqual([list.average, list.count, list.total], [3, 2, 2]);

      // A text-only edit keeps the rating.
      const reworded = await request(api.url)
        .patch(`/api/reviews/${mine.id}`)
        .set(bearer(author))
        .send({ body: 'Chipped after a week' })
        .expect(200);
      assert.deepEqual([reworded.body.rating, reworded.body.body], [1, 'Chipped after a week']);
      await assertRatingWithin1s(product, { average: 3, count: 2 });
    });

    it('when an edit is empty, has an unknown field or a bad value, then 400 names it and the review is unchanged', async () => {
      const product = await newProduct();
      const author = await buyer(product.id);
      const mine = await review(author, product.id, 4);
      const cases: [object, string][] = [
        [{}, '(root)'],
        [{ rating: 6 }, 'rating'],
        [{ rating: 2.5 }, 'rating'],
        [{ body: '' }, 'body'],
        [{ body: 'x'.repeat(5001) }, 'body'],
        [{ rating: 2, productId: 'other' }, 'productId'],
        [{ rating: 2, verifiedPurchase: false }, 'verifiedPurchase'],
      ];

      for (const [body, field] of cases) {
        const answer = await request(api.url).patch(`/api/reviews/${mine.id}`).set(bearer(author)).send(body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
        assert.deepEqual(issueFields(answer.body), [field], JSON.stringify(answer.body.error));
      }
      assert.deepEqual((await reviewsOf(product.id)).items, [mine]);
    });

    it("when a stranger edits or deletes someone's review, then 404 NOT_FOUND tells them nothing and the review is unchanged", async () => {
      const product = await newProduct();
      const author = await buyer(product.id);
      const mine = await review(author, product.id, 4, 'Only mine to change');
      // Even a stranger who bought the same product.
      const stranger = await buyer(product.id);

      const patch = await request(api.url)
        .patch(`/api/reviews/${mine.id}`)
        .set(bearer(stranger))
        .send({ rating: 1, body: 'Hijacked' })
        .expect(404);
      assert.equal(patch.body.error.code, 'NOT_FOUND');
      assert.equal(patch.text.includes('Only mine to change'), false);
      const remove = await request(api.url).delete(`/api/reviews/${mine.id}`).set(bearer(stranger)).expect(404);
      assert.equal(remove.body.error.code, 'NOT_FOUND');

      const unknownId = '01890a5d-ac96-774b-bcce-b302099a8057';
      await request(api.url).patch(`/api/reviews/${unknownId}`).set(bearer(author)).send({ rating: 1 }).expect(404);
      await request(api.url).delete(`/api/reviews/${unknownId}`).set(bearer(author)).expect(404);

      assert.deepEqual((await reviewsOf(product.id)).items, [mine]);
      assert.deepEqual(await ratingInDetail(product.id), { average: 4, count: 1 });
    });

    it('when an admin deletes a review as moderation, then 204 and the average follows in detail and list', async () => {
      const product = await newProduct();
      const [kept, removed] = await Promise.all([buyer(product.id), buyer(product.id)]);
      await review(kept, product.id, 4);
      const spam = await review(removed, product.id, 1, 'Buy followers at example.com');
      await assertRatingWithin1s(product, { average: 2.5, count: 2 });

      await request(api.url).delete(`/api/reviews/${spam.id}`).set(bearer(admin)).expect(204);

      await assertRatingWithin1s(product, { average: 4, count: 1 });
      const list = await reviewsOf(product.id);
      assert.deepEqual(
        list.items.map((item) => item.author.id),
        [kept.user.id],
      );
      assert.deepEqual([list.total, list.count, list.average], [1, 1, 4]);
    });

    it("when an admin edits someone's review, then the edit keeps its author and the average follows", async () => {
      const product = await newProduct();
      const author = await buyer(product.id);
      const mine = await review(author, product.id, 2, 'Rude words');

      const patched = await request(api.url)
        .patch(`/api/reviews/${mine.id}`)
        .set(bearer(admin))
        .send({ body: '[removed by moderator]', rating: 3 })
        .expect(200);

      assert.deepEqual(patched.body.author, mine.author);
      assert.equal(patched.body.body, '[removed by moderator]');
      await assertRatingWithin1s(product, { average: 3, count: 1 });
    });

    it('when the author and an admin change one review at once, then the rating still matches the reviews', async () => {
      const product = await newProduct();
      const author = await buyer(product.id);
      const mine = await review(author, product.id, 3);

      const answers = await Promise.all([
        request(api.url).patch(`/api/reviews/${mine.id}`).set(bearer(author)).send({ rating: 5 }),
        request(api.url).patch(`/api/reviews/${mine.id}`).set(bearer(admin)).send({ rating: 1 }),
        request(api.url).patch(`/api/reviews/${mine.id}`).set(bearer(author)).send({ rating: 4 }),
      ]);

      assert.deepEqual(
        answers.map((answer) => answer.status),
        [200, 200, 200],
      );
      const [stored] = (await reviewsOf(product.id)).items;
      await assertRatingWithin1s(product, { average: stored!.rating, count: 1 });
    });
  });

  describe('listing', () => {
    it('when a product has reviews, then the list pages newest first, sorts by rating, and answers total, average and count', async () => {
      const product = await newProduct();
      const ratings = [3, 5, 1, 4, 5];
      const buyers = await Promise.all(ratings.map(() => buyer(product.id)));
      const written: Review[] = [];
      for (const [index, rating] of ratings.entries()) {
        written.push(await review(buyers[index]!, product.id, rating, `Review ${index}`));
      }
      const newestFirst = [...written].reverse();
      const ids = (items: Review[]) => items.map((item) => item.id);

      const all = await reviewsOf(product.id);
      assert.deepEqual(ids(all.items), ids(newestFirst));
      assert.deepEqual(all.items, newestFirst);
      assert.deepEqual([all.total, all.count, all.average, all.page, all.limit], [5, 5, 3.6, 1, 20]);

      const paged: Review[] = [];
      for (let page = 1; page <= 3; page++) {
        const answer = await reviewsOf(product.id, { page, limit: 2 });
        assert.equal(answer.items.length, page < 3 ? 2 : 1);
        assert.deepEqual([answer.total, answer.page, answer.limit], [5, page, 2]);
        paged.push(...answer.items);
      }
      assert.deepEqual(ids(paged), ids(newestFirst));
      assert.deepEqual((await reviewsOf(product.id, { page: 4, limit: 2 })).items, []);

      // Among equal ratings, the newer review comes first.
      const byRatingDesc = await reviewsOf(product.id, { sort: 'rating_desc' });
      assert.deepEqual(ids(byRatingDesc.items), ids([written[4]!, written[1]!, written[3]!, written[0]!, written[2]!]));
      const byRatingAsc = await reviewsOf(product.id, { sort: 'rating_asc' });
      assert.deepEqual(ids(byRatingAsc.items), ids([written[2]!, written[0]!, written[3]!, written[4]!, written[1]!]));
      assert.deepEqual(ids((await reviewsOf(product.id, { sort: 'newest' })).items), ids(newestFirst));
      assert.deepEqual(await ratingInDetail(product.id), { average: 3.6, count: 5 });
    });

    it('when the list query is wrong, then 400 names the parameter', async () => {
      const product = await newProduct();
      for (const [query, field] of [
        [{ limit: 101 }, 'limit'],
        [{ limit: 0 }, 'limit'],
        [{ page: 0 }, 'page'],
        [{ page: 'two' }, 'page'],
        [{ sort: 'oldest' }, 'sort'],
        [{ userId: 'x' }, 'userId'],
      ] as const) {
        const answer = await request(api.url).get(`/api/products/${product.id}/reviews`).query(query).expect(400);
        assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
        assert.deepEqual(issueFields(answer.body), [field]);
      }
      assert.equal((await reviewsOf(product.id, { limit: 100 })).limit, 100);
    });

    it('when the catalog is sorted by rating, then products order by the averages their reviews give them', async () => {
      const tag = marker();
      const [loved, liked, unrated] = await Promise.all(
        ['loved', 'liked', 'unrated'].map((name) => newProduct(`${tag} ${name}`)),
      );
      const [first, second] = await Promise.all([buyer(loved!.id, liked!.id), buyer(loved!.id, liked!.id)]);
      await review(first, loved!.id, 5);
      await review(second, loved!.id, 4);
      await review(first, liked!.id, 4);
      await review(second, liked!.id, 3);

      const listed = (await request(api.url).get('/api/products').query({ q: tag, sort: 'rating' }).expect(200))
        .body as ProductList;

      assert.deepEqual(
        listed.items.map((item) => [item.id, item.rating]),
        [
          [loved!.id, { average: 4.5, count: 2 }],
          [liked!.id, { average: 3.5, count: 2 }],
          [unrated!.id, { average: 0, count: 0 }],
        ],
      );
    });

    it('when a review route that does not exist is asked for, then the answer is 404', async () => {
      const product = await newProduct();
      const mine = await review(await buyer(product.id), product.id, 5);

      for (const answer of [
        await request(api.url).get(`/api/reviews/${mine.id}`),
        await request(api.url).get('/api/reviews'),
        await request(api.url).put(`/api/reviews/${mine.id}`).set(bearer(admin)).send({ rating: 1 }),
        await request(api.url).delete(`/api/products/${product.id}/reviews`).set(bearer(admin)),
      ]) {
        assert.equal(answer.status, 404);
        assert.equal(answer.body.error.code, 'NOT_FOUND');
      }
    });
  });
});
