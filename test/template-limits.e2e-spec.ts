import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { sampleEmailData } from '../src/templates/renderer';
import { TemplateOverrideStore } from '../src/templates/template-override.store';
import { TemplateWorkerPool } from '../src/templates/template-worker-pool';
import { hostile } from './support/hostile-templates';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Variables of a program's own key (the generic contract) with this event data. */
function withEventData(eventData: Record<string, unknown>): Record<string, unknown> {
  const data = sampleEmailData('generic', 'en') as unknown as Record<string, unknown>;
  return { ...data, event: { ...(data.event as object), data: eventData } };
}

/**
 * GET /health every 100 ms over real HTTP while something runs: every answer and the slowest.
 * A runaway template must never hold the event loop that answers it.
 */
function pollHealth(baseUrl: string) {
  const answers: { status: number; ms: number }[] = [];
  const pending: Promise<void>[] = [];
  const timer = setInterval(() => {
    const started = performance.now();
    pending.push(
      fetch(`${baseUrl}/health`).then(
        async (res) => {
          await res.arrayBuffer();
          answers.push({ status: res.status, ms: performance.now() - started });
        },
        () => {
          answers.push({ status: 0, ms: performance.now() - started });
        },
      ),
    );
  }, 100);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return { polls: pending.length, answers, worstMs: Math.max(0, ...answers.map((a) => a.ms)) };
    },
  };
}

describe('Template limits (e2e)', () => {
  let t: TestApp;
  let a: ProgramKeys;
  let db: DataSource;

  const put = (path: string, body: Record<string, unknown>) =>
    t.http.put(`/v1/templates/${path}`).set(bearer(a.secretKey)).send(body);
  const preview = (key: string, body: Record<string, unknown>) =>
    t.http.post(`/v1/templates/${key}/preview`).set(bearer(a.secretKey)).send(body);
  /** Queues one email of `key` with these variables, as a rule's email is queued. */
  const deliver = async (key: string, data: Record<string, unknown>) => {
    const program = (await t.app.get(ProgramsService).findById(a.id))!;
    const { id } = await t.app.get(NotifyParticipant).execute(undefined, {
      program,
      to: { address: 'ana@example.com' },
      template: key,
      locales: ['en'],
      data,
      dedupeKey: `limits-${key}-${Date.now()}`,
    });
    return eventually(async () => {
      const m = await db.getRepository(Message).findOneByOrFail({ id });
      return ['sent', 'failed'].includes(m.status) ? m : undefined;
    }, 30_000);
  };

  beforeAll(async () => {
    // Small caps, so that a render known to take about a second and some 100 MB trips one of
    // them on any machine (a template of a few lines renders in a few ms and a few MB).
    t = await startTestApp({
      env: { TEMPLATE_RENDER_TIMEOUT_MS: '1000', TEMPLATE_WORKER_MEMORY_MB: '64' },
    });
    a = await t.createProgram({ name: 'Limits' });
    db = t.app.get(DataSource);
  });
  afterAll(() => t?.close());

  describe("the audit's hostile templates are refused at save", () => {
    it.each([
      [
        '200 KB of 12,780 mustaches',
        hostile.mustaches(),
        [{ limit: 'mustaches', count: 12_780, max: 1_000, line: 1, column: 16_001 }],
      ],
      [
        'a chain of 5,000 {{else if}}',
        hostile.elseChain(),
        [
          { limit: 'elseChain', count: 5_000, max: 30, line: 32, column: 1 },
          { limit: 'blockDepth', count: 5_001, max: 50, line: 51, column: 1 },
          { limit: 'mustaches', count: 5_001, max: 1_000, line: 1_001, column: 1 },
        ],
      ],
      [
        '5,000 nested sub-expressions',
        hostile.subexpressions(),
        [{ limit: 'subexpressionDepth', count: 5_000, max: 10, line: 1, column: 46 }],
      ],
    ])(
      '%s: 400 TEMPLATE_INVALID naming each limit, its count and where',
      async (what, html, limits) => {
        const started = performance.now();
        const res = await put('spring-promo/en', { subject: 'Hi', html });
        log(`PUT ${what}: ${res.status} in ${(performance.now() - started).toFixed(0)} ms`);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('TEMPLATE_INVALID');
        expect(
          res.body.details.map((d: Record<string, unknown>) => ({
            limit: d.limit,
            count: d.count,
            max: d.max,
            line: d.line,
            column: d.column,
          })),
        ).toEqual(limits);
        expect(res.body.details.every((d: { part: string }) => d.part === 'html')).toBe(true);
        expect(res.body.message).toContain(
          `html, line ${limits[0].line}, column ${limits[0].column}`,
        );
      },
    );
  });

  describe('values in URL attributes', () => {
    it('refuses href="{{event.data.url}}" with the line, the column and the fix', async () => {
      const res = await put('spring-promo/en', {
        subject: 'Hi',
        html: '<p>Hello</p>\n<p><a href="{{event.data.url}}">Open</a></p>',
      }).expect(400);
      expect(res.body.code).toBe('TEMPLATE_INVALID');
      expect(res.body.details).toEqual([
        {
          field: 'html',
          part: 'html',
          line: 2,
          column: 13,
          message:
            '{{event.data.url}} fills the href attribute of <a>, a URL: a value there could be a javascript: link. Use {{link event.data.url}}, which lets only http and https links through: href="{{link event.data.url}}".',
        },
      ]);
    });

    it('saves href="{{link event.data.url}}", previews the URL alone, and never a javascript: link', async () => {
      await put('spring-promo/en', {
        subject: 'Hi',
        html: '<p><a href="{{link event.data.url}}">Open</a></p>',
      }).expect(201);
      const ok = await preview('spring-promo', {
        locale: 'en',
        data: { event: { data: { url: 'https://acme.example/r?x=1' } } },
      }).expect(200);
      expect(ok.body.html).toContain('<a href="https://acme.example/r?x=1">Open</a>');
      const evil = await preview('spring-promo', {
        locale: 'en',
        data: { event: { data: { url: 'javascript:alert(1)' } } },
      }).expect(422);
      expect(evil.body.code).toBe('TEMPLATE_RENDER_FAILED');
    });
  });

  describe('a template that runs away at render', () => {
    it('fails its preview with 422 and its message with TEMPLATE_RENDER_LIMIT, while /health answers', async () => {
      // Within every limit of a save: three lines. Over 200 items it writes 8,000,000 paragraphs.
      await put('runaway/en', {
        subject: 'Runaway',
        html: '{{#each event.data.items}}{{#each @root.event.data.items}}{{#each @root.event.data.items}}<p>{{this}}</p>{{/each}}{{/each}}{{/each}}',
      }).expect(201);
      // Within the output budget, but turning 1.5 MB of HTML into text takes about a second and
      // over 100 MB.
      await put('slow/en', {
        subject: 'Slow',
        html: '{{#each event.data.items}}{{#each @root.event.data.items}}<p>{{this}}</p>{{/each}}{{/each}}',
      }).expect(201);
      const runawayData = { items: Array.from({ length: 200 }, (_, i) => `item ${i}`) };
      const slowData = { items: Array.from({ length: 400 }, (_, i) => i) };

      const health = pollHealth(t.baseUrl);
      const rssBefore = process.memoryUsage().rss;

      const runaway = await preview('runaway', {
        locale: 'en',
        data: { event: { data: runawayData } },
      });
      expect(runaway.status).toBe(422);
      expect(runaway.body.code).toBe('TEMPLATE_RENDER_LIMIT');
      expect(runaway.body.details).toEqual([
        expect.objectContaining({
          part: 'html',
          limit: 'output',
          message:
            'each: the lists produce more than 2,000,000 items and characters; show fewer items',
        }),
      ]);
      const rssAfter = process.memoryUsage().rss;

      const slow = await preview('slow', { locale: 'en', data: { event: { data: slowData } } });
      expect(slow.status).toBe(422);
      expect(slow.body.code).toBe('TEMPLATE_RENDER_LIMIT');
      // Its time, or its worker's memory, whichever it runs out of first.
      expect(['time', 'memory']).toContain(slow.body.details[0].limit);

      const sent = await deliver('runaway', withEventData(runawayData));
      expect(sent).toMatchObject({
        status: 'failed',
        errorCode: 'TEMPLATE_RENDER_LIMIT',
        errorPermanent: true,
        attempts: 1,
      });
      expect(sent.errorMessage).toContain('each: the lists produce more than 2,000,000');
      const slowSent = await deliver('slow', withEventData(slowData));
      expect(slowSent).toMatchObject({ status: 'failed', errorCode: 'TEMPLATE_RENDER_LIMIT' });

      // The same program's well-behaved template still renders, and so do the defaults.
      await preview('spring-promo', {
        locale: 'en',
        data: { event: { data: { url: 'https://acme.example/' } } },
      }).expect(200);
      await preview('verification', { locale: 'en' }).expect(200);

      const { polls, answers, worstMs } = await health.stop();
      log(
        `/health while templates ran away: ${answers.length} of ${polls} polls answered, all ${[...new Set(answers.map((x) => x.status))].join(', ')}; slowest ${worstMs.toFixed(0)} ms`,
      );
      log(
        `process RSS around the runaway preview: ${mb(rssBefore)} before, ${mb(rssAfter)} after (${mb(rssAfter - rssBefore)} growth)`,
      );
      expect(polls).toBeGreaterThan(0);
      expect(answers.map((x) => x.status)).toEqual(Array(polls).fill(200));
      // Generous: a blocked event loop took seconds; a busy CI machine takes tens of ms.
      expect(worstMs).toBeLessThan(1_000);
    });

    it('refuses a hostile template stored before the limits at render, previewed with 60 KB of data', async () => {
      // Written to the database as a save before these limits would have.
      await t.app
        .get(TemplateOverrideStore)
        .save(a.id, 'stored-early', 'en', { subject: 'Old', html: hostile.mustaches() });
      const blob = 'x'.repeat(60 * 1024);
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const res = await preview('stored-early', {
        locale: 'en',
        data: { event: { data: { b: blob } } },
      });
      const rssAfter = process.memoryUsage().rss;
      log(
        `preview of 12,780 mustaches with 60 KB of data: ${res.status} in ${(performance.now() - started).toFixed(0)} ms; RSS ${mb(rssBefore)} before, ${mb(rssAfter)} after (${mb(rssAfter - rssBefore)} growth)`,
      );
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'TEMPLATE_RENDER_LIMIT' });
      expect(res.body.details).toEqual([
        expect.objectContaining({ part: 'html', limit: 'mustaches', line: 1, column: 16_001 }),
      ]);
      const sent = await deliver('stored-early', withEventData({ b: blob }));
      expect(sent).toMatchObject({
        status: 'failed',
        errorCode: 'TEMPLATE_RENDER_LIMIT',
        errorPermanent: true,
      });
    });
  });

  it('closes the worker threads when the application shuts down', async () => {
    const other = await startTestApp();
    let closed = false;
    try {
      const program = await other.createProgram({ name: 'Shutdown' });
      await other.http
        .put('/v1/templates/own-key/en')
        .set(bearer(program.secretKey))
        .send({ subject: 'Hi', html: '<p>{{program.name}}</p>' })
        .expect(201);
      await other.http
        .post('/v1/templates/own-key/preview')
        .set(bearer(program.secretKey))
        .send({ locale: 'en' })
        .expect(200);
      const pool = other.app.get(TemplateWorkerPool);
      expect(pool.threadCount).toBe(2);
      await other.close();
      closed = true;
      expect(pool.threadCount).toBe(0);
    } finally {
      if (!closed) await other.close();
    }
  });
});
