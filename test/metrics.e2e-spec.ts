import { DataSource } from 'typeorm';
import { TemplateOverrideStore } from '../src/templates/template-override.store';
import { TemplatesService } from '../src/templates/templates.service';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type Samples = Map<string, number>;

/** The samples of a Prometheus text exposition, by `name{labels}` as written. */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

// Each process counts what it did (README, Operations); the test app runs API and worker in one.
describe('Metrics (e2e)', () => {
  let t: TestApp;
  let p: { id: string; secretKey: string };

  beforeAll(async () => {
    t = await startTestApp();
    p = await t.createProgram({ name: 'Counted' });
    // A template stored before the empty-value check, to make one message fail.
    await t.app.get(TemplateOverrideStore).save(p.id, 'hello', 'en', {
      subject: 'Hello {{participant.firstName}}',
      html: '<p>Hi</p>',
      text: null,
    });
    t.app.get(TemplatesService).changed(p.id, 'hello', 'en');
    for (const body of [
      {
        name: 'Cash for a purchase',
        event: 'purchase',
        actions: [{ type: 'reward', to: 'participant', kind: 'cash', amount: 10, currency: 'USD' }],
      },
      {
        name: 'Hello',
        event: 'hello',
        actions: [{ type: 'email', template: 'hello', to: 'participant' }],
      },
    ])
      await t.http.post('/v1/rules').set(bearer(p.secretKey)).send(body).expect(201);
    await t.http
      .put('/v1/suppressions/held%40example.com')
      .set(bearer(p.secretKey))
      .send({})
      .expect(201);
  });
  afterAll(() => t?.close());

  const scrape = async () => {
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return { text: res.text, samples: parse(res.text) };
  };
  const value = (s: Samples, key: string) => s.get(key) ?? 0;

  const event = async (type: string, participant: Record<string, unknown>) =>
    (
      await t.http
        .post('/v1/events')
        .set(bearer(p.secretKey))
        .send({ type, participant })
        .expect(202)
    ).body.id as string;

  const settled = (eventId: string) =>
    eventually(async () => {
      const res = await t.http.get(`/v1/events/${eventId}`).set(bearer(p.secretKey));
      if (res.body.status !== 'processed') return undefined;
      const ids = (res.body.results as Array<{ actions: Array<{ messageId?: string }> }>)
        .flatMap((r) => r.actions)
        .flatMap((a) => (a.messageId ? [a.messageId] : []));
      for (const id of ids) {
        const m = await t.http.get(`/v1/messages/${id}`).set(bearer(p.secretKey));
        if (!['sent', 'failed', 'suppressed'].includes(m.body.status as string)) return undefined;
      }
      return true;
    }, 30000);

  it('counts messages by status, transport and error code, delivery latency, events, rewards and queue waits', async () => {
    const before = (await scrape()).samples;

    await settled(await event('purchase', { id: 'ana', email: 'ana@example.com' }));
    await settled(await event('purchase', { id: 'held', email: 'held@example.com' }));
    await settled(await event('hello', { id: 'bo', email: 'bo@example.com' }));
    await event('nobody-listens', { id: 'cy', email: 'cy@example.com' });

    const { text, samples } = await scrape();
    const delta = (key: string) => value(samples, key) - value(before, key);

    // Two reward emails and one hello written; one held back at once (the suppressed address).
    expect(delta('messages_total{status="queued",transport="none"}')).toBe(2);
    expect(delta('messages_total{status="suppressed",transport="none"}')).toBe(1);
    expect(delta('message_errors_total{code="RECIPIENT_SUPPRESSED",permanent="true"}')).toBe(1);
    // One sent by the built-in sender; the hello failed for good with the template's code.
    expect(delta('messages_total{status="sent",transport="builtin"}')).toBe(1);
    expect(delta('message_delivery_seconds_count{transport="builtin"}')).toBe(1);
    expect(delta('message_delivery_seconds_sum{transport="builtin"}')).toBeGreaterThan(0);
    expect(delta('messages_total{status="failed",transport="builtin"}')).toBe(1);
    expect(delta('message_errors_total{code="TEMPLATE_DATA_MISSING",permanent="true"}')).toBe(1);

    expect(delta('events_total{outcome="queued"}')).toBe(3);
    expect(delta('events_total{outcome="no_rule"}')).toBe(1);
    expect(delta('events_total{outcome="processed"}')).toBe(3);
    expect(delta('rewards_total{kind="cash"}')).toBe(2);

    const evaluations =
      delta('queue_wait_seconds_count{job="evaluate-event"}') +
      delta('queue_wait_seconds_count{job="evaluate-events"}');
    expect(evaluations).toBeGreaterThanOrEqual(1);
    expect(delta('queue_wait_seconds_count{job="deliver-messages"}')).toBe(2);
    expect(samples.has('queue_wait_seconds_bucket{le="+Inf",job="deliver-messages"}')).toBe(true);

    // Every metric says what it is.
    for (const name of [
      'messages_total',
      'message_errors_total',
      'message_delivery_seconds',
      'events_total',
      'rewards_total',
      'queue_wait_seconds',
      'queue_jobs',
      'http_request_duration_seconds',
    ])
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
  });

  it('counts every SQL statement the process sends, transaction control included', async () => {
    const before = value((await scrape()).samples, 'db_statements_total');
    const db = t.app.get(DataSource);
    await db.query('SELECT 1');
    await db.transaction(async (m) => {
      await m.query('SELECT 1');
    });
    const { text, samples } = await scrape();
    // The plain query, then BEGIN, the query and COMMIT; sweeps may run meanwhile and add theirs.
    expect(value(samples, 'db_statements_total') - before).toBeGreaterThanOrEqual(4);
    expect(text).toMatch(/^# TYPE db_statements_total counter$/m);
    expect(text).toMatch(/^# HELP db_statements_total \S/m);
  });

  it('counts in the process that did the work: events accepted by the API, their evaluation and emails by the worker', async () => {
    // One database (and, with Redis, one queue): the API only writes and queues; the worker runs
    // the job (with the in-process queue, its sweeper finds the event the API could not hand over).
    const env = { MESSAGE_STALE_MS: '300', SWEEP_INTERVAL_MS: '100' };
    const prefix = `rnm${Date.now().toString(36)}`;
    // On Postgres both join the database of this file's app instead of emptying it.
    const api = await startTestApp({ role: 'api', env, queuePrefix: prefix, fresh: false });
    const worker = await startTestApp({
      role: 'worker',
      env,
      queuePrefix: prefix,
      fresh: false,
      dataDir: api.dataDir,
    });
    try {
      const q = await api.createProgram({ name: 'Split' });
      await api.http
        .post('/v1/rules')
        .set(bearer(q.secretKey))
        .send({
          name: 'Cash',
          event: 'purchase',
          actions: [
            { type: 'reward', to: 'participant', kind: 'cash', amount: 5, currency: 'USD' },
          ],
        })
        .expect(201);
      const accepted = await api.http
        .post('/v1/events')
        .set(bearer(q.secretKey))
        .send({ type: 'purchase', participant: { id: 'dee', email: 'dee@example.com' } })
        .expect(202);
      const metricsOf = async (app: TestApp) =>
        parse((await app.http.get('/metrics').expect(200)).text);
      const sent = await eventually(async () => {
        const samples = await metricsOf(worker);
        return value(samples, 'messages_total{status="sent",transport="builtin"}') === 1
          ? samples
          : undefined;
      }, 30000);
      const event = await api.http
        .get(`/v1/events/${accepted.body.id as string}`)
        .set(bearer(q.secretKey))
        .expect(200);
      expect(event.body.status).toBe('processed');

      const fromApi = await metricsOf(api);
      expect(value(fromApi, 'events_total{outcome="queued"}')).toBe(1);
      expect(value(fromApi, 'events_total{outcome="processed"}')).toBe(0);
      expect(value(fromApi, 'rewards_total{kind="cash"}')).toBe(0);
      expect(value(fromApi, 'messages_total{status="sent",transport="builtin"}')).toBe(0);

      expect(value(sent, 'events_total{outcome="queued"}')).toBe(0);
      expect(value(sent, 'events_total{outcome="processed"}')).toBe(1);
      expect(value(sent, 'rewards_total{kind="cash"}')).toBe(1);
      expect(value(sent, 'messages_total{status="queued",transport="none"}')).toBe(1);
      expect(value(sent, 'message_delivery_seconds_count{transport="builtin"}')).toBe(1);
    } finally {
      await worker.close();
      await api.close();
    }
  });

  it('shows only metrics the example dashboard uses, and the dashboard uses only these', async () => {
    const { text } = await scrape();
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].map((m) => m[1]));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dashboard = require('../docs/grafana-dashboard.json') as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    // Metric names have an underscore; of PromQL's own words only histogram_quantile has one.
    const used = new Set(
      dashboard.panels
        .flatMap((panel) => panel.targets ?? [])
        .flatMap((target) => [...target.expr.matchAll(/\b[a-z]+(?:_[a-z]+)+\b/g)])
        .map((m) => m[0])
        .filter((name) => name !== 'histogram_quantile')
        .map((name) => name.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exposed).toContain(name);
  });
});
