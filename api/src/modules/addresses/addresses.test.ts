import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address, FieldIssue } from '@vitrine/contracts';
import request from 'supertest';
import { bearer, buildAddress, registerUser, type SignedInUser } from '../../../test/support/factories.js';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';

describe('addresses', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.stop());

  const create = async (user: SignedInUser, overrides: Parameters<typeof buildAddress>[0] = {}): Promise<Address> => {
    const response = await request(api.url).post('/api/addresses').set(bearer(user)).send(buildAddress(overrides));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body as Address;
  };

  const list = async (user: SignedInUser): Promise<Address[]> => {
    const response = await request(api.url).get('/api/addresses').set(bearer(user)).expect(200);
    assert.ok(Array.isArray(response.body.items), 'the list answers {items: [...]}');
    return response.body.items as Address[];
  };

  /** The book has exactly one default, and it is `expectedId`. */
  const assertOnlyDefault = async (user: SignedInUser, expectedId: string) => {
    const defaults = (await list(user)).filter((address) => address.isDefault);
    assert.deepEqual(
      defaults.map((address) => address.id),
      [expectedId],
      'exactly one default address, the expected one',
    );
  };

  const issueFields = (body: { error?: { details?: { issues?: FieldIssue[] } } }): string[] =>
    (body.error?.details?.issues ?? []).map((issue) => issue.field);

  it('when a shopper adds an address, then it is answered 201 with its fields and listed in their book', async () => {
    const user = await registerUser(api.url);
    const body = buildAddress({ recipient: 'Park Seoyeon', city: 'Busan', postalCode: '48058' });

    const created = await request(api.url).post('/api/addresses').set(bearer(user)).send(body).expect(201);

    assert.equal(typeof created.body.id, 'string');
    assert.deepEqual(created.body, {
      id: created.body.id,
      recipient: 'Park Seoyeon',
      phone: body.phone,
      line1: body.line1,
      line2: body.line2,
      city: 'Busan',
      postalCode: '48058',
      country: body.country,
      isDefault: true,
    });
    assert.deepEqual(await list(user), [created.body]);
  });

  it('when a shopper edits an address, then PATCH answers 200 with the change and the list shows it', async () => {
    const user = await registerUser(api.url);
    const address = await create(user, { city: 'Seoul' });

    const patched = await request(api.url)
      .patch(`/api/addresses/${address.id}`)
      .set(bearer(user))
      .send({ city: 'Incheon', line2: null })
      .expect(200);

    assert.deepEqual(patched.body, { ...address, city: 'Incheon', line2: null });
    assert.deepEqual(await list(user), [patched.body]);
  });

  it('when a shopper deletes an address, then DELETE answers 204 and it leaves the list', async () => {
    const user = await registerUser(api.url);
    const kept = await create(user, { recipient: 'Kept' });
    const removed = await create(user, { recipient: 'Removed' });

    const response = await request(api.url).delete(`/api/addresses/${removed.id}`).set(bearer(user)).expect(204);

    assert.equal(response.text, '');
    assert.deepEqual(
      (await list(user)).map((address) => address.id),
      [kept.id],
    );
  });

  it('when a shopper adds their first address without asking, then it becomes the default', async () => {
    const user = await registerUser(api.url);

    const first = await create(user, { isDefault: false });

    assert.equal(first.isDefault, true);
    await assertOnlyDefault(user, first.id);
  });

  it('when a shopper adds more addresses, then the default stays until one is added with isDefault true', async () => {
    const user = await registerUser(api.url);
    const first = await create(user, { recipient: 'First' });
    await assertOnlyDefault(user, first.id);

    const second = await create(user, { recipient: 'Second' });
    assert.equal(second.isDefault, false);
    await assertOnlyDefault(user, first.id);

    const third = await create(user, { recipient: 'Third', isDefault: true });
    assert.equal(third.isDefault, true);
    await assertOnlyDefault(user, third.id);

    const fourth = await create(user, { recipient: 'Fourth', isDefault: false });
    assert.equal(fourth.isDefault, false);
    await assertOnlyDefault(user, third.id);
    assert.equal((await list(user)).length, 4);
  });

  it('when a shopper patches another address with isDefault true, then the default moves to it', async () => {
    const user = await registerUser(api.url);
    const first = await create(user, { recipient: 'First' });
    const second = await create(user, { recipient: 'Second' });

    const patched = await request(api.url)
      .patch(`/api/addresses/${second.id}`)
      .set(bearer(user))
      .send({ isDefault: true })
      .expect(200);

    assert.equal(patched.body.isDefault, true);
    await assertOnlyDefault(user, second.id);
    const former = (await list(user)).find((address) => address.id === first.id);
    assert.equal(former?.isDefault, false);
  });

  it('when a shopper deletes their default address, then the newest remaining address becomes the default', async () => {
    const user = await registerUser(api.url);
    const oldest = await create(user, { recipient: 'Oldest' });
    const defaultOne = await create(user, { recipient: 'Default', isDefault: true });
    const newest = await create(user, { recipient: 'Newest' });
    await assertOnlyDefault(user, defaultOne.id);

    await request(api.url).delete(`/api/addresses/${defaultOne.id}`).set(bearer(user)).expect(204);

    await assertOnlyDefault(user, newest.id);
    assert.deepEqual((await list(user)).map((address) => address.id).sort(), [oldest.id, newest.id].sort());
  });

  it('when a shopper un-defaults their only address, then it stays the default', async () => {
    const user = await registerUser(api.url);
    const only = await create(user);

    const patched = await request(api.url)
      .patch(`/api/addresses/${only.id}`)
      .set(bearer(user))
      .send({ isDefault: false })
      .expect(200);

    assert.equal(patched.body.isDefault, true);
    await assertOnlyDefault(user, only.id);
  });

  it("when a shopper touches another user's address, then PATCH and DELETE answer 404 and the owner's address is unchanged", async () => {
    const owner = await registerUser(api.url);
    const stranger = await registerUser(api.url);
    const address = await create(owner, { recipient: 'Owner Only' });
    const strangersOwn = await create(stranger, { recipient: 'Stranger' });

    const patch = await request(api.url)
      .patch(`/api/addresses/${address.id}`)
      .set(bearer(stranger))
      .send({ recipient: 'Hijacked', isDefault: true })
      .expect(404);
    assert.equal(patch.body.error.code, 'NOT_FOUND');
    assert.equal(JSON.stringify(patch.body).includes('Owner Only'), false, 'the answer leaks nothing of the address');

    const remove = await request(api.url).delete(`/api/addresses/${address.id}`).set(bearer(stranger)).expect(404);
    assert.equal(remove.body.error.code, 'NOT_FOUND');

    assert.deepEqual(
      (await list(stranger)).map((item) => item.id),
      [strangersOwn.id],
    );
    assert.deepEqual(await list(owner), [address]);
  });

  it('when a shopper patches or deletes an id that names nothing, then the answer is 404 NOT_FOUND', async () => {
    const user = await registerUser(api.url);
    await create(user);
    const unknownId = '01890a5d-ac96-774b-bcce-b302099a8057';

    const patch = await request(api.url)
      .patch(`/api/addresses/${unknownId}`)
      .set(bearer(user))
      .send({ city: 'Daegu' })
      .expect(404);
    assert.equal(patch.body.error.code, 'NOT_FOUND');

    const remove = await request(api.url).delete(`/api/addresses/${unknownId}`).set(bearer(user)).expect(404);
    assert.equal(remove.body.error.code, 'NOT_FOUND');
  });

  it('when a body carries a field the client may not set, then the answer is 400 naming it and nothing is stored', async () => {
    const owner = await registerUser(api.url);
    const user = await registerUser(api.url);

    const post = await request(api.url)
      .post('/api/addresses')
      .set(bearer(user))
      .send({ ...buildAddress(), userId: owner.user.id })
      .expect(400);
    assert.equal(post.body.error.code, 'VALIDATION_FAILED');
    assert.ok(issueFields(post.body).includes('userId'), JSON.stringify(post.body));
    assert.match(post.body.error.message, /userId/);
    assert.deepEqual(await list(user), []);
    assert.deepEqual(await list(owner), []);

    const address = await create(user);
    const patch = await request(api.url)
      .patch(`/api/addresses/${address.id}`)
      .set(bearer(user))
      .send({ city: 'Ulsan', userId: owner.user.id })
      .expect(400);
    assert.equal(patch.body.error.code, 'VALIDATION_FAILED');
    assert.ok(issueFields(patch.body).includes('userId'), JSON.stringify(patch.body));
    assert.deepEqual(await list(user), [address]);
  });

  it('when required fields are missing or empty, then the answer is 400 naming each of them', async () => {
    const user = await registerUser(api.url);
    const { recipient: _recipient, city: _city, ...withoutRecipientAndCity } = buildAddress();

    const missing = await request(api.url)
      .post('/api/addresses')
      .set(bearer(user))
      .send(withoutRecipientAndCity)
      .expect(400);
    assert.equal(missing.body.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(issueFields(missing.body).sort(), ['city', 'recipient']);

    const empty = await request(api.url)
      .post('/api/addresses')
      .set(bearer(user))
      .send(buildAddress({ line1: '', postalCode: '   ', country: '' }))
      .expect(400);
    assert.equal(empty.body.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(issueFields(empty.body).sort(), ['country', 'line1', 'postalCode']);
    assert.match(empty.body.error.message, /line1/);

    const nothing = await request(api.url).post('/api/addresses').set(bearer(user)).send({}).expect(400);
    assert.deepEqual(issueFields(nothing.body).sort(), [
      'city',
      'country',
      'line1',
      'phone',
      'postalCode',
      'recipient',
    ]);

    assert.deepEqual(await list(user), []);
  });

  it('when a patch empties a required field, then the answer is 400 naming it and the address is unchanged', async () => {
    const user = await registerUser(api.url);
    const address = await create(user);

    const response = await request(api.url)
      .patch(`/api/addresses/${address.id}`)
      .set(bearer(user))
      .send({ recipient: '' })
      .expect(400);

    assert.equal(response.body.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(issueFields(response.body), ['recipient']);
    assert.deepEqual(await list(user), [address]);
  });

  it('when an address has no line2, then it is created with line2 null', async () => {
    const user = await registerUser(api.url);
    const { line2: _line2, ...withoutLine2 } = buildAddress();

    const created = await request(api.url).post('/api/addresses').set(bearer(user)).send(withoutLine2).expect(201);

    assert.equal(created.body.line2, null);
    assert.equal((await list(user))[0]?.line2, null);
  });

  it('when a request carries no token, then every address endpoint answers 401 UNAUTHENTICATED', async () => {
    const user = await registerUser(api.url);
    const address = await create(user);

    const answers = await Promise.all([
      request(api.url).get('/api/addresses'),
      request(api.url).post('/api/addresses').send(buildAddress()),
      request(api.url).patch(`/api/addresses/${address.id}`).send({ city: 'Gwangju' }),
      request(api.url).delete(`/api/addresses/${address.id}`),
    ]);

    const labels = ['GET', 'POST', 'PATCH', 'DELETE'];
    answers.forEach((answer, index) => {
      assert.equal(answer.status, 401, labels[index]);
      assert.equal(answer.body.error.code, 'UNAUTHENTICATED', labels[index]);
    });
    assert.deepEqual(await list(user), [address]);
  });

  const sendTenAtOnce = (user: SignedInUser) =>
    Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        request(api.url)
          .post('/api/addresses')
          .set(bearer(user))
          .send(buildAddress({ recipient: `Concurrent ${index}`, isDefault: index % 3 === 0 })),
      ),
    );

  it('when a new shopper sends 10 addresses at once, some as default, then the book ends with exactly one default', async () => {
    const user = await registerUser(api.url);

    const answers = await sendTenAtOnce(user);

    const created = answers.filter((answer) => answer.status === 201).map((answer) => answer.body as Address);
    assert.ok(created.length > 0, 'at least one address is stored');
    const items = await list(user);
    assert.deepEqual(
      items.map((address) => address.id).sort(),
      created.map((address) => address.id).sort(),
      'the book holds exactly the addresses answered 201',
    );
    assert.equal(items.filter((address) => address.isDefault).length, 1, JSON.stringify(items));
  });

  it('when a new shopper sends 10 addresses at once, then every one is answered 201 and stored', async () => {
    const user = await registerUser(api.url);

    const answers = await sendTenAtOnce(user);

    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array.from({ length: 10 }, () => 201),
      JSON.stringify(answers.filter((answer) => answer.status !== 201).map((answer) => answer.body)),
    );
    const items = await list(user);
    assert.equal(items.length, 10);
    assert.equal(items.filter((address) => address.isDefault).length, 1);
  });

  it('when a new shopper sends 10 addresses at once, then all of them are answered within 5 seconds', async () => {
    const user = await registerUser(api.url);
    const started = Date.now();

    const answers = await sendTenAtOnce(user);

    const elapsedMs = Date.now() - started;
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array.from({ length: 10 }, () => 201),
    );
    assert.ok(elapsedMs < 5_000, `10 concurrent POSTs took ${elapsedMs} ms`);
  });
});
