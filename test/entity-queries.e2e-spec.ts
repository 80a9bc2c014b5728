import { DataSource, type ObjectLiteral, type Repository } from 'typeorm';
import { EntityQueries } from '../src/database/entity-queries';
import { ProgramEvent } from '../src/events/event.entity';
import { Message } from '../src/messages/message.entity';
import { OutboxService } from '../src/messages/outbox.service';
import { Participant } from '../src/participants/participant.entity';
import { Program } from '../src/programs/program.entity';
import { sampleEmailData } from '../src/templates/renderer';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

// The hot paths read and write through EntityQueries; what they get back must be exactly what a
// TypeORM repository returns, on the database this run uses (SQLite, or Postgres in CI's second pass).
describe(EntityQueries.name, () => {
  let t: TestApp;
  let db: DataSource;
  let program: Awaited<ReturnType<TestApp['createProgram']>>;

  const repo = <T extends ObjectLiteral>(entity: new () => T): Repository<T> =>
    db.getRepository(entity);

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    program = await t.createProgram({
      name: 'Queries',
      fromName: 'Acme',
      settings: { w9ThresholdUsd: 700 },
    });
    await t.http
      .put('/v1/participants/ana')
      .set(bearer(program.secretKey))
      .send({
        email: 'Ana@Example.com',
        firstName: 'Ana',
        locale: 'pt-BR',
        taxFormOnFile: true,
        customFields: { tier: 'gold', visits: 3, nested: { a: [1, 2] } },
      })
      .expect(201);
    await t.http
      .post('/v1/events')
      .set(bearer(program.secretKey))
      .send({
        type: 'signup',
        participant: { id: 'ana' },
        data: { amount: 12.5, tags: ['a', 'b'], note: 'naïve ✓' },
        idempotencyKey: 'queries-1',
      })
      .expect(202);
    await eventually(
      async () =>
        (await repo(ProgramEvent).findOneBy({ programId: program.id }))?.status === 'processed' ||
        undefined,
    );
  });
  afterAll(() => t.close());

  it('reads a row exactly as the repository does, for every column type in use', async () => {
    const byId = await new EntityQueries(repo(Program)).findOne({ id: program.id });
    expect(byId).toBeInstanceOf(Program);
    expect(byId).toEqual(await repo(Program).findOneBy({ id: program.id }));

    const participant = await new EntityQueries(repo(Participant)).findOne({
      programId: program.id,
      id: 'ana',
    });
    expect(participant).toEqual(
      await repo(Participant).findOneBy({ programId: program.id, id: 'ana' }),
    );
    expect(participant).toMatchObject({
      taxFormOnFile: true,
      payoutDetailsOnFile: false,
      emailVerifiedAt: null,
      customFields: { nested: { a: [1, 2] } },
    });
    expect(participant?.createdAt).toBeInstanceOf(Date);

    const event = await new EntityQueries(repo(ProgramEvent)).findOne({
      programId: program.id,
      idempotencyKey: 'queries-1',
    });
    expect(event).toEqual(
      await repo(ProgramEvent).findOneBy({ programId: program.id, idempotencyKey: 'queries-1' }),
    );
    expect(event?.data).toEqual({ amount: 12.5, tags: ['a', 'b'], note: 'naïve ✓' });
    expect(event?.processedAt).toBeInstanceOf(Date);
  });

  it('answers null when no row matches, and refuses a condition without a value', async () => {
    const queries = new EntityQueries(repo(Participant));
    expect(await queries.findOne({ programId: program.id, id: 'nobody' })).toBeNull();
    await expect(queries.findOne({ programId: program.id, id: undefined })).rejects.toThrow(
      'the condition on id has no value',
    );
    await expect(queries.findOne({ programId: program.id, locale: null })).rejects.toThrow(
      'the condition on locale has no value',
    );
  });

  it('reads the rows among a list of values, with or without other conditions', async () => {
    const queries = new EntityQueries(repo(Participant));
    const found = await queries.findIn({ programId: program.id }, 'id', ['ana', 'nobody']);
    expect(found).toEqual([
      await repo(Participant).findOneBy({ programId: program.id, id: 'ana' }),
    ]);
    const programs = await new EntityQueries(repo(Program)).findIn({}, 'id', [program.id]);
    expect(programs).toEqual([await repo(Program).findOneBy({ id: program.id })]);
    expect(await queries.findIn({}, 'id', [])).toEqual([]);
  });

  it('inserts, skips a conflicting insert when asked, and updates by key', async () => {
    const queries = new EntityQueries(repo(Participant));
    const now = new Date('2026-03-01T10:20:30.456Z');
    const row: Partial<Participant> = {
      programId: program.id,
      id: 'bea',
      email: 'bea@example.com',
      emailLower: 'bea@example.com',
      taxFormOnFile: false,
      payoutDetailsOnFile: true,
      customFields: { a: 1 },
      createdAt: now,
      updatedAt: now,
    };
    expect(await queries.insert(row)).toBe(1);
    expect(await queries.insert(row, { ignoreConflict: true })).toBe(0);
    await expect(queries.insert(row)).rejects.toThrow();

    const later = new Date('2026-03-02T00:00:00.000Z');
    expect(
      await queries.update(
        { firstName: 'Bea', customFields: null, updatedAt: later },
        { programId: program.id, id: 'bea' },
      ),
    ).toBe(1);
    expect(await queries.update({ firstName: 'X' }, { programId: program.id, id: 'nobody' })).toBe(
      0,
    );
    const stored = await repo(Participant).findOneByOrFail({ programId: program.id, id: 'bea' });
    expect(stored).toMatchObject({
      firstName: 'Bea',
      lastName: null,
      customFields: null,
      payoutDetailsOnFile: true,
      createdAt: now,
      updatedAt: later,
    });
  });

  it('runs a hand-written statement with RETURNING inside a transaction, and its rollback undoes it', async () => {
    const outbox = t.app.get(OutboxService);
    const { id } = await db.transaction((manager) =>
      outbox.write(manager, {
        programId: program.id,
        templateKey: 'generic',
        category: 'marketing',
        recipient: { email: 'held@example.com' },
        locales: ['en'],
        data: sampleEmailData('generic', 'en'),
        dedupeKey: 'queries-held',
      }),
    );
    const queries = new EntityQueries(repo(Message));
    const touch = queries.statement(
      'touch-attempts',
      (s) =>
        `UPDATE ${s.table} SET ${s.col('attempts')} = ${s.col('attempts')} + 1 WHERE ${s.col('id')} = ${s.param('id')} RETURNING ${s.all}`,
    );
    await expect(
      db.transaction(async (manager) => {
        const [row] = await touch.rows([id], manager);
        expect(row).toBeInstanceOf(Message);
        expect(row.attempts).toBe(1);
        expect(row).toEqual({ ...(await manager.findOneByOrFail(Message, { id })) });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await repo(Message).findOneByOrFail({ id })).attempts).toBe(0);
    expect(await touch.run([id])).toBe(1);
    expect((await repo(Message).findOneByOrFail({ id })).attempts).toBe(1);
  });

  it('sets each row its own values in one statement, only where the shared condition holds', async () => {
    const outbox = t.app.get(OutboxService);
    const write = (n: number) =>
      outbox.write(undefined, {
        programId: program.id,
        templateKey: 'generic',
        category: 'marketing',
        recipient: { email: `each${n}@example.com` },
        locales: ['en'],
        data: sampleEmailData('generic', 'en'),
        dedupeKey: `queries-each-${n}`,
      });
    const ids = [(await write(1)).id, (await write(2)).id, (await write(3)).id];
    const queries = new EntityQueries(repo(Message));
    await queries.update({ status: 'sending' }, { id: ids[0] });
    await queries.update({ status: 'sending' }, { id: ids[1] });
    const sentAt = new Date('2026-04-05T06:07:08.009Z');
    const rows: Partial<Message>[] = ids.map((id, i) => ({
      id,
      status: 'sent',
      subject: `Subject ${i} – ✓`,
      html: i === 0 ? null : `<p>${i}</p>`,
      sentAt: new Date(sentAt.getTime() + i),
      errorPermanent: i === 1 ? false : null,
      attempts: i + 5,
      lockedUntil: null,
      attemptLog: [{ at: sentAt.toISOString(), outcome: 'sent', response: `250 ${i}` }],
      rejected:
        i === 2 ? [{ address: 'x@example.com', code: 'X', message: 'm', permanent: true }] : null,
    }));
    // The third is still queued: the condition leaves it as it was.
    const changed = await queries.updateEach(rows, { by: 'id', where: { status: 'sending' } });
    expect([...changed].sort()).toEqual([ids[0], ids[1]].sort());
    const byId = async (id: string) => repo(Message).findOneByOrFail({ id });
    for (const i of [0, 1]) {
      expect(await byId(ids[i])).toMatchObject({
        status: 'sent',
        subject: rows[i].subject,
        html: rows[i].html,
        sentAt: rows[i].sentAt,
        errorPermanent: rows[i].errorPermanent,
        attempts: i + 5,
        lockedUntil: null,
        attemptLog: rows[i].attemptLog,
        rejected: null,
      });
    }
    expect(await byId(ids[2])).toMatchObject({ status: 'queued', subject: null, attempts: 0 });
    expect(await queries.updateEach([], { by: 'id' })).toEqual([]);
  });

  it('writes many outbox rows in one statement, each dedupe key once, in the order asked', async () => {
    const outbox = t.app.get(OutboxService);
    const request = (key: string, email: string, withheld?: { code: string; message: string }) => ({
      programId: program.id,
      templateKey: 'generic',
      category: 'marketing',
      recipient: { email, name: 'Ana' },
      locales: ['en'],
      data: sampleEmailData('generic', 'en'),
      dedupeKey: key,
      withheld,
    });
    const earlier = await outbox.write(undefined, request('many-earlier', 'earlier@example.com'));
    const answers = await db.transaction((manager) =>
      outbox.writeMany(manager, [
        request('many-1', 'one@example.com'),
        // Written before this call, and twice within it: found, not written again.
        request('many-earlier', 'earlier@example.com'),
        request('many-2', 'two@example.com', { code: 'RECIPIENT_SUPPRESSED', message: 'held' }),
        request('many-1', 'one-again@example.com'),
      ]),
    );
    expect(answers.map((a) => a.created)).toEqual([true, false, true, false]);
    expect(answers[1].id).toBe(earlier.id);
    expect(answers[3].id).toBe(answers[0].id);
    const stored = await repo(Message).findBy({ programId: program.id });
    const byKey = new Map(stored.map((m) => [m.dedupeKey, m]));
    expect(byKey.get('many-1')).toMatchObject({
      id: answers[0].id,
      toEmail: 'one@example.com',
      toName: 'Ana',
      status: 'queued',
      errorCode: null,
      attempts: 0,
    });
    expect(byKey.get('many-1')?.lockedUntil).toBeInstanceOf(Date);
    expect(byKey.get('many-2')).toMatchObject({
      id: answers[2].id,
      status: 'suppressed',
      errorCode: 'RECIPIENT_SUPPRESSED',
      errorPermanent: true,
      lockedUntil: null,
    });
    expect(stored.filter((m) => m.dedupeKey === 'many-1')).toHaveLength(1);
    expect(await outbox.writeMany(undefined, [])).toEqual([]);
  });
});
