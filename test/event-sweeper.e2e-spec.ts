import { DataSource } from 'typeorm';
import { ProgramEvent } from '../src/events/event.entity';
import { Message } from '../src/messages/message.entity';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

// An event whose evaluation job was lost (in-process queue restarted, Redis flushed) is stored
// as queued; the sweeper must find it and evaluate it, once.
describe('Event sweeper (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { MESSAGE_STALE_MS: '300', SWEEP_INTERVAL_MS: '100' } });
  });
  afterAll(() => t.close());

  it('evaluates an accepted event whose job never ran', async () => {
    const p = await t.createProgram({ name: 'Lost jobs' });
    await t.http
      .put('/v1/templates/welcome/en')
      .set(bearer(p.secretKey))
      .send({
        subject: 'Welcome to {{program.name}}',
        html: '<p>Hello {{#if recipient.firstName}}{{recipient.firstName}}{{/if}}</p>',
      })
      .expect(201);
    await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({
        name: 'Welcome',
        event: 'signup',
        actions: [{ type: 'email', template: 'welcome', to: 'participant' }],
      })
      .expect(201);
    await t.http
      .put('/v1/participants/lost-1')
      .set(bearer(p.secretKey))
      .send({ email: 'lost@example.com' })
      .expect(201);
    const db = t.app.get(DataSource);
    const long = new Date(Date.now() - 60_000);
    const id = '0e0e0e0e-0000-4000-8000-00000000abcd';
    await db.getRepository(ProgramEvent).insert({
      id,
      programId: p.id,
      type: 'signup',
      participantId: 'lost-1',
      referrerId: null,
      data: {},
      occurredAt: long,
      idempotencyKey: 'lost-job-1',
      raw: { type: 'signup', participant: { id: 'lost-1' } },
      status: 'queued',
      results: null,
      error: null,
      processedAt: null,
      createdAt: long,
      updatedAt: long,
    } as never);
    const event = await eventually(async () => {
      const res = await t.http.get(`/v1/events/${id}`).set(bearer(p.secretKey)).expect(200);
      return res.body.status === 'processed' ? res.body : undefined;
    });
    expect(event.results).toEqual([expect.objectContaining({ matched: true })]);
    await eventually(
      async () =>
        (await db.getRepository(Message).findOneBy({ programId: p.id }))?.status === 'sent',
    );
    // Later sweeps find nothing more to do: one message, not one per sweep.
    await new Promise((r) => setTimeout(r, 800));
    expect(await db.getRepository(Message).countBy({ programId: p.id })).toBe(1);
  });
});
