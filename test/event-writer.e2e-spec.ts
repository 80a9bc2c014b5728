import { DataSource } from 'typeorm';
import { AppError } from '../src/common/errors/app-error';
import { CreateEventDto } from '../src/events/dto/event.dto';
import { ProgramEvent } from '../src/events/event.entity';
import { EventWriter } from '../src/events/event-writer';
import { EventsService } from '../src/events/events.service';
import { Participant } from '../src/participants/participant.entity';
import { ParticipantsService } from '../src/participants/participants.service';
import type { Program } from '../src/programs/program.entity';
import { ProgramsService } from '../src/programs/programs.service';
import { JobQueue } from '../src/queue/job-queue.port';
import { Reward } from '../src/rewards/reward.entity';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

// Events that arrive together are written in batches (one transaction, one insert of the events,
// one read of their people); whatever a batch cannot take goes the one-at-a-time way. Each answer
// and everything stored must be what one-at-a-time writing gives. Calls made in the same turn of
// the event loop always form one batch, so these tests call the service directly.
describe(EventWriter.name, () => {
  let t: TestApp;
  let db: DataSource;
  let events: EventsService;
  let participants: ParticipantsService;
  let seq = 0;

  const newProgram = async (): Promise<Program> => {
    const { id } = await t.createProgram({ name: `Batch ${++seq}` });
    return (await t.app.get(ProgramsService).findById(id))!;
  };
  const dto = (body: Record<string, unknown>) =>
    Object.assign(new CreateEventDto(), { type: 'visit', ...body });
  const person = (programId: string, id: string) =>
    db.getRepository(Participant).findOneBy({ programId, id });
  const codeOf = (r: PromiseSettledResult<unknown>) =>
    r.status === 'rejected' ? (r.reason as AppError).code : 'accepted';
  const idOf = (r: PromiseSettledResult<{ id: string }>) =>
    r.status === 'fulfilled' ? r.value.id : undefined;
  const allProcessed = (programId: string, n: number) =>
    eventually(async () => {
      const rows = await db.getRepository(ProgramEvent).findBy({ programId });
      return rows.length === n && rows.every((e) => e.status === 'processed') ? rows : undefined;
    }, 30000);

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    events = t.app.get(EventsService);
    participants = t.app.get(ParticipantsService);
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  it('writes 250 events that arrive together in batches, each person created once and updated in arrival order', async () => {
    const p = await newProgram();
    const reads = jest.spyOn(participants, 'findMany');
    const results = await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        events.ingest(
          p,
          dto({
            participant: {
              id: `p${i % 50}`,
              email: `p${i % 50}@example.com`,
              firstName: `F${i}`,
              customFields: { last: i },
            },
            referrer: i % 3 === 0 ? { id: `r${i % 7}`, email: `r${i % 7}@example.com` } : undefined,
            data: { i },
          }),
        ),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(250);
    // No rule listens to visits: each is stored processed, with no job.
    expect(results.every((r) => r.status === 'processed')).toBe(true);
    // Three batches of at most 100: three reads of people, not 250.
    expect(reads).toHaveBeenCalledTimes(3);

    const stored = await allProcessed(p.id, 250);
    expect(stored.map((e) => (e.data as { i: number }).i).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    expect(await db.getRepository(Participant).countBy({ programId: p.id })).toBe(50 + 7);
    for (let n = 0; n < 50; n++) {
      // The last of the five events of each person arrived last, and its fields are what stayed.
      expect(await person(p.id, `p${n}`)).toMatchObject({
        email: `p${n}@example.com`,
        firstName: `F${200 + n}`,
        customFields: { last: 200 + n },
      });
    }
  });

  it('queues only the events of a type some enabled rule listens to, and stores the others processed', async () => {
    const { secretKey, id: programId } = await t.createProgram({ name: `Batch ${++seq}` });
    const p = (await t.app.get(ProgramsService).findById(programId))!;
    await t.http
      .post('/v1/rules')
      .set(bearer(secretKey))
      .send({
        name: 'Signup reward',
        event: 'signup',
        actions: [
          {
            type: 'reward',
            to: 'participant',
            kind: 'credit',
            amount: 5,
            currency: 'EUR',
            email: false,
          },
        ],
      })
      .expect(201);
    await t.http
      .post('/v1/rules')
      .set(bearer(secretKey))
      .send({
        name: 'Off',
        event: 'visit',
        enabled: false,
        actions: [
          {
            type: 'reward',
            to: 'participant',
            kind: 'credit',
            amount: 1,
            currency: 'EUR',
            email: false,
          },
        ],
      })
      .expect(201);
    const queue = jest.spyOn(t.app.get(JobQueue), 'enqueueMany');
    const single = jest.spyOn(t.app.get(JobQueue), 'enqueue');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        events.ingest(
          p,
          dto({
            type: i % 4 === 0 ? 'signup' : 'visit',
            participant: { id: `q${i}`, email: `q${i}@example.com` },
          }),
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(
      Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 'queued' : 'processed')),
    );
    // The ten that arrived together are one job; nothing else was queued.
    expect(single.mock.calls.filter(([name]) => name.startsWith('evaluate'))).toEqual([]);
    const batches = queue.mock.calls.filter(([name]) => name.startsWith('evaluate'));
    expect(batches).toHaveLength(1);
    const [name, jobs] = batches[0];
    expect(name).toBe('evaluate-events');
    expect(jobs).toHaveLength(1);
    expect([...(jobs[0].payload as { eventIds: string[] }).eventIds].sort()).toEqual(
      results
        .filter((_, i) => i % 4 === 0)
        .map((r) => r.id)
        .sort(),
    );

    const stored = await allProcessed(programId, 40);
    for (const e of stored) {
      if (e.type === 'visit')
        expect(e).toMatchObject({ results: [], error: null, processedAt: e.createdAt });
      else expect(e.results).toMatchObject([{ ruleName: 'Signup reward', matched: true }]);
    }
    expect(await db.getRepository(Reward).countBy({ programId })).toBe(10);
  });

  it('answers each event of a mixed batch as it would alone, and stores nothing for those refused', async () => {
    const p = await newProgram();
    const first = await events.ingest(
      p,
      dto({ participant: { id: 'known', email: 'known@example.com' } }),
      'stored-key',
    );
    const settled = await Promise.allSettled([
      events.ingest(p, dto({ participant: { id: 'a', email: 'a@example.com' } })),
      // The stored key with the same body replays; the twin's key with another body is refused.
      events.ingest(
        p,
        dto({ participant: { id: 'known', email: 'known@example.com' } }),
        'stored-key',
      ),
      events.ingest(p, dto({ participant: { id: 'stranger' } })),
      events.ingest(p, dto({ participant: { id: 'known', email: null } })),
      events.ingest(
        p,
        dto({ participant: { id: 'twin', email: 'twin@example.com', firstName: 'One' } }),
        'twin-key',
      ),
      events.ingest(
        p,
        dto({ participant: { id: 'twin', email: 'twin@example.com', firstName: 'Two' } }),
        'twin-key',
      ),
      events.ingest(p, dto({ participant: { id: 'a', lastName: 'Later' } })),
    ]);
    expect(settled.map(codeOf)).toEqual([
      'accepted',
      'accepted',
      'PARTICIPANT_EMAIL_REQUIRED',
      'VALIDATION_FAILED',
      'accepted',
      'IDEMPOTENCY_KEY_REUSED',
      'accepted',
    ]);
    expect(idOf(settled[1] as PromiseSettledResult<{ id: string }>)).toBe(first.id);

    // The first, a, the twin once, a's update; nothing for the refused.
    await allProcessed(p.id, 4);
    expect(await person(p.id, 'stranger')).toBeNull();
    expect(await person(p.id, 'known')).toMatchObject({ email: 'known@example.com' });
    expect(await person(p.id, 'twin')).toMatchObject({ firstName: 'One' });
    expect(await person(p.id, 'a')).toMatchObject({ email: 'a@example.com', lastName: 'Later' });
  });

  it('decides events with one key in arrival order, even when the first one is refused', async () => {
    const p = await newProgram();
    const settled = await Promise.allSettled([
      events.ingest(p, dto({ participant: { id: 'newcomer' } }), 'same-key'),
      events.ingest(
        p,
        dto({ participant: { id: 'newcomer', email: 'newcomer@example.com' } }),
        'same-key',
      ),
      events.ingest(
        p,
        dto({ participant: { id: 'newcomer', email: 'newcomer@example.com' } }),
        'same-key',
      ),
    ]);
    // The first has no email for a person not stored yet; the second is stored; the third, the
    // same body again, replays it.
    expect(settled.map(codeOf)).toEqual(['PARTICIPANT_EMAIL_REQUIRED', 'accepted', 'accepted']);
    expect(idOf(settled[2] as PromiseSettledResult<{ id: string }>)).toBe(
      idOf(settled[1] as PromiseSettledResult<{ id: string }>),
    );
    await allProcessed(p.id, 1);
  });

  it('writes the batch again one event at a time when a key of it was stored meanwhile', async () => {
    const p = await newProgram();
    const original = await events.ingest(
      p,
      dto({ participant: { id: 'orig', email: 'orig@example.com', firstName: 'Kept' } }),
      'taken',
    );
    const settled = await Promise.allSettled([
      events.ingest(p, dto({ participant: { id: 'n1', email: 'n1@example.com' } })),
      // The same key with other people: refused as a reused key, and it touches nobody.
      events.ingest(
        p,
        dto({ participant: { id: 'orig', email: 'orig@example.com', firstName: 'Changed' } }),
        'taken',
      ),
      events.ingest(p, dto({ participant: { id: 'n2', email: 'n2@example.com' } })),
    ]);
    expect(settled.map(codeOf)).toEqual(['accepted', 'IDEMPOTENCY_KEY_REUSED', 'accepted']);
    // The refusal names the event the key belongs to.
    expect(((settled[1] as PromiseRejectedResult).reason as AppError).message).toContain(
      original.id,
    );
    await allProcessed(p.id, 3);
    expect(await person(p.id, 'orig')).toMatchObject({ firstName: 'Kept' });
    expect(await person(p.id, 'n2')).toMatchObject({ email: 'n2@example.com' });
  });

  it('stores a batch of known, unchanged people as one statement, and replays the keys stored before it', async () => {
    const p = await newProgram();
    const known = { id: 'regular', email: 'regular@example.com', firstName: 'Reg' };
    const first = await events.ingest(p, dto({ participant: known }), 'seen-before');
    // Its evaluation runs a transaction of its own; it must be over before the writer's are counted.
    await allProcessed(p.id, 1);
    const transactions = jest.spyOn(db, 'transaction');
    const settled = await Promise.all([
      events.ingest(p, dto({ participant: known, data: { n: 1 } }), 'fresh-1'),
      events.ingest(p, dto({ participant: known }), 'seen-before'),
      events.ingest(p, dto({ participant: { id: 'regular' }, data: { n: 3 } }), 'fresh-2'),
      events.ingest(p, dto({ participant: known, data: { n: 1 } }), 'fresh-1'),
    ]);
    // Nobody to create or change: the batch opens no transaction. The two repeated keys go the
    // one-at-a-time way, a transaction each, which the unique index stops before anything is written.
    expect(transactions).toHaveBeenCalledTimes(2);
    expect(settled[1].id).toBe(first.id);
    expect(settled[3].id).toBe(settled[0].id);
    const stored = await allProcessed(p.id, 3);
    expect(stored.map((e) => (e.data as { n?: number }).n ?? 0).sort()).toEqual([0, 1, 3]);
    expect(await person(p.id, 'regular')).toMatchObject(known);
  });

  it('writes the batch again one event at a time when storing its people breaks a unique index', async () => {
    const p = await newProgram();
    // Right after the batch has read its people, one of them is stored, as a concurrent creator
    // would have: the batch's insert of that person fails.
    const read = participants.findMany.bind(participants);
    let raced = false;
    jest.spyOn(participants, 'findMany').mockImplementation(async (programId, ids, manager) => {
      const found = await read(programId, ids, manager);
      if (!raced && ids.includes('contested')) {
        raced = true;
        const plan = participants.planUpsert(
          programId,
          'contested',
          { email: 'elsewhere@example.com', firstName: 'Else' },
          null,
          new Date(),
        );
        await participants.insertMany([plan.participant], manager);
      }
      return found;
    });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        events.ingest(
          p,
          dto({
            participant: { id: i === 17 ? 'contested' : `c${i}`, email: `c${i}@example.com` },
          }),
        ),
      ),
    );
    expect(raced).toBe(true);
    expect(new Set(results.map((r) => r.id)).size).toBe(30);
    await allProcessed(p.id, 30);
    // The batch rolled back whole; one at a time, each event stored its person, and the contested
    // one updated what the other creator stored, keeping the name the event did not send.
    expect(await person(p.id, 'contested')).toMatchObject({
      email: 'c17@example.com',
      firstName: 'Else',
    });
    expect(await db.getRepository(Participant).countBy({ programId: p.id })).toBe(30);
  });

  it('accepts a burst of HTTP posts from many connections, every one stored once', async () => {
    const { secretKey, id: programId } = await t.createProgram({ name: `Batch ${++seq}` });
    const answers = await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const res = await fetch(`${t.baseUrl}/v1/events`, {
          method: 'POST',
          headers: {
            ...bearer(secretKey),
            'content-type': 'application/json',
            'idempotency-key': `burst-${i % 100}`,
          },
          body: JSON.stringify({
            type: 'visit',
            participant: { id: `h${i % 10}`, email: `h${i % 10}@example.com` },
          }),
        });
        return { status: res.status, id: ((await res.json()) as { id: string }).id };
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(120).fill(202));
    // Keys 0-19 were sent twice: both answers name one event.
    for (let i = 0; i < 20; i++) expect(answers[i + 100].id).toBe(answers[i].id);
    await allProcessed(programId, 100);
  });
});
