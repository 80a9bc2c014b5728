import { DataSource } from 'typeorm';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

// The message log searched as a new user does: part of an address, part of a template key, a
// date range, test sends apart, a total, and pages in both directions.
describe('Message search (e2e)', () => {
  let t: TestApp;
  let key: Record<string, string>;
  const people = [
    ['ana', 'ana@example.com'],
    ['anabel', 'ANABEL@Example.org'],
    ['bob', 'bob@example.com'],
    ['carla', 'carla@example.net'],
  ];
  const list = async (query: string) =>
    (await t.http.get(`/v1/messages?${query}`).set(key).expect(200)).body;

  beforeAll(async () => {
    t = await startTestApp();
    key = bearer((await t.createProgram({ name: 'Search' })).secretKey);
    for (const [id, email] of people)
      await t.http.put(`/v1/participants/${id}`).set(key).send({ email }).expect(201);
    await t.http
      .post('/v1/rules')
      .set(key)
      .send({
        name: 'Points on signup',
        event: 'signup',
        actions: [
          { type: 'reward', to: 'participant', kind: 'points', amount: 10, currency: 'USD' },
        ],
      })
      .expect(201);
    // One reward email each (template reward-earned), then one test send to ana.
    for (const [id] of people)
      await t.http
        .post('/v1/events')
        .set(key)
        .send({ type: 'signup', participant: { id } })
        .expect(202);
    await eventually(async () => (await list('limit=200')).items.length === people.length);
    await t.http
      .post('/v1/templates/reward-earned/test')
      .set(key)
      .send({ to: 'ana@example.com' })
      .expect(202);
    await eventually(async () => {
      const items = (await list('limit=200')).items;
      return (
        items.length === people.length + 1 &&
        items.every((m: { status: string }) => m.status === 'sent')
      );
    });
  });
  afterAll(() => t.close());

  it('finds recipients by the beginning of the address, in any case', async () => {
    const found = await list('to=ana');
    expect(found.items.map((m: { to: string }) => m.to).sort()).toEqual([
      'ANABEL@Example.org',
      'ana@example.com',
      'ana@example.com',
    ]);
    expect(found.total).toBe(3);
    expect((await list('to=AnAbEl@')).items).toHaveLength(1);
    // A whole address still finds its messages, as before.
    expect((await list('to=bob@example.com')).items).toHaveLength(1);
    // LIKE's wildcards are plain characters here.
    expect((await list('to=%25')).items).toEqual([]);
    expect((await list('to=_na')).items).toEqual([]);
  });

  it('finds templates by the beginning of their key: template=reward', async () => {
    const found = await list('template=reward');
    expect(found.total).toBe(5);
    expect(new Set(found.items.map((m: { template: string }) => m.template))).toEqual(
      new Set(['reward-earned']),
    );
    expect((await list('template=welcome')).total).toBe(0);
  });

  it('labels test sends and filters them with kind=test or kind=live', async () => {
    const tests = await list('kind=test');
    expect(tests.items).toEqual([
      expect.objectContaining({ kind: 'test', to: 'ana@example.com', template: 'reward-earned' }),
    ]);
    expect(tests.total).toBe(1);
    const live = await list('kind=live');
    expect(live.total).toBe(4);
    expect(live.items.every((m: { kind: string }) => m.kind === 'live')).toBe(true);
    expect((await list('kind=test&to=bob')).items).toEqual([]);
    const bad = await t.http.get('/v1/messages?kind=demo').set(key).expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('takes a date range: since (inclusive) and until (exclusive)', async () => {
    const all = (await list('limit=200')).items as Array<{ createdAt: string }>;
    const times = all.map((m) => m.createdAt).sort();
    const middle = times[2];
    const since = await list(`since=${encodeURIComponent(middle)}`);
    expect(since.total).toBe(times.filter((x) => x >= middle).length);
    const until = await list(`until=${encodeURIComponent(middle)}`);
    expect(until.total).toBe(times.filter((x) => x < middle).length);
    expect(since.total + until.total).toBe(5);
    expect((await list('since=2099-01-01')).total).toBe(0);
    expect((await list('until=2000-01-01')).items).toEqual([]);
    const bad = await t.http.get('/v1/messages?since=yesterday').set(key).expect(400);
    expect(bad.body.details[0]).toMatchObject({ field: 'since' });
  });

  it('pages forward to the end and back to the start with nextCursor and prevCursor', async () => {
    const all = (await list('limit=200')).items.map((m: { id: string }) => m.id);
    expect(all).toHaveLength(5);
    const first = await list('limit=2');
    expect(first).toMatchObject({ total: 5, totalExact: true, prevCursor: null });
    const second = await list(`limit=2&cursor=${first.nextCursor}`);
    const third = await list(`limit=2&cursor=${second.nextCursor}`);
    expect(third.nextCursor).toBeNull();
    const forward = [first, second, third].flatMap((p) => p.items.map((m: { id: string }) => m.id));
    expect(forward).toEqual(all);

    const back2 = await list(`limit=2&cursor=${third.prevCursor}`);
    expect(back2.items.map((m: { id: string }) => m.id)).toEqual(all.slice(2, 4));
    const back1 = await list(`limit=2&cursor=${back2.prevCursor}`);
    expect(back1.items.map((m: { id: string }) => m.id)).toEqual(all.slice(0, 2));
    expect(back1.prevCursor).toBeNull();
    expect(back1.nextCursor).toEqual(expect.any(String));
    const again = await list(`limit=2&cursor=${back1.nextCursor}`);
    expect(again.items.map((m: { id: string }) => m.id)).toEqual(all.slice(2, 4));

    const bad = await t.http.get('/v1/messages?cursor=bm9wZQ').set(key).expect(400);
    expect(bad.body.code).toBe('CURSOR_INVALID');
  });

  it('has the indexes the search reads', async () => {
    const db = t.app.get(DataSource);
    const postgres = db.options.type === 'postgres';
    const names = (
      await db.query<Array<{ name: string }>>(
        postgres
          ? `SELECT indexname AS name FROM pg_indexes WHERE tablename IN ('messages', 'programs')`
          : `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('messages', 'programs')`,
      )
    ).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'IDX_messages_program_recipient',
        'IDX_messages_test_sends',
        'IDX_programs_created',
      ]),
    );
  });
});
