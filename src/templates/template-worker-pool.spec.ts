import { AppConfig } from '../config/app.config';
import { hostile } from '../../test/support/hostile-templates';
import {
  sampleEmailData,
  TemplateRenderer,
  validateTemplate,
  type ResolvedTemplate,
  type TemplateParts,
} from './renderer';
import { TemplateWorkerPool, TemplateWorkerUnavailableError } from './template-worker-pool';

let version = 0;
function programTemplate(parts: TemplateParts): ResolvedTemplate {
  const v = String(++version);
  return {
    key: 'own-key',
    locale: 'en',
    source: 'program',
    version: v,
    parts,
    cacheKey: `program:prog_1\u0001own-key\u0001en\u0001${v}`,
  };
}

function data(eventData: Record<string, unknown>): Record<string, unknown> {
  const d = sampleEmailData('generic', 'en') as unknown as Record<string, unknown>;
  return { ...d, event: { ...(d.event as object), data: eventData } };
}

// HTML about 1.5 MB long, within the output budget, of 160,000 paragraphs: turning it into the
// text part takes the worker over a second and well over 48 MB.
const HEAVY: TemplateParts = {
  subject: 'Heavy',
  html: '{{#each event.data.items}}{{#each @root.event.data.items}}<p>{{this}}</p>{{/each}}{{/each}}',
  text: null,
};
const HEAVY_DATA = data({ items: Array.from({ length: 400 }, (_, i) => i) });

const config = (patch: Partial<AppConfig>): AppConfig =>
  Object.assign(new AppConfig(), { TEMPLATE_WORKERS: 1, ...patch });

describe(TemplateWorkerPool.name, () => {
  describe('with the default caps', () => {
    const settings = config({});
    const pool = new TemplateWorkerPool(settings);
    afterAll(() => pool.onApplicationShutdown());

    it('renders a program template in a worker thread exactly as in-process', async () => {
      const template = programTemplate({
        subject: 'Hi {{participant.firstName}}',
        html:
          '<p><a href="{{link event.data.url}}">{{event.type}}</a></p>\n' +
          '{{#each event.details}}<p>{{name}}: {{value}}</p>{{/each}}\n' +
          '{{> button href=event.data.url label="Open"}}',
        text: null,
      });
      const input = {
        locales: ['es', 'en'],
        data: data({ url: 'https://acme.example/a?b=1&c=2' }),
      };
      const inWorker = await pool.render(template, input);
      const inProcess = new TemplateRenderer().renderResolved(template, input);
      expect(inWorker).toEqual({
        subject: inProcess.subject,
        html: inProcess.html,
        text: inProcess.text,
      });
      expect(inWorker.html).toContain('<a href="https://acme.example/a?b=1&amp;c=2">');
    });

    it('fails a render that writes too much with TEMPLATE_RENDER_LIMIT, as in-process', async () => {
      const items = Array.from({ length: 200 }, (_, i) => `item ${i}`);
      const template = programTemplate({
        subject: 's',
        html: '{{#each event.data.items}}{{#each @root.event.data.items}}{{#each @root.event.data.items}}<p>{{this}}</p>{{/each}}{{/each}}{{/each}}',
        text: null,
      });
      await expect(
        pool.render(template, { locales: ['en'], data: data({ items }) }),
      ).rejects.toMatchObject({
        code: 'TEMPLATE_RENDER_LIMIT',
        limit: 'output',
        part: 'html',
        reason:
          'each: the lists produce more than 2,000,000 items and characters; show fewer items',
      });
    });

    it('checks drafts in a worker thread, with the same problems as in-process', async () => {
      for (const html of [
        hostile.subexpressions(),
        '<a href="{{event.data.url}}">x</a>',
        '<p>ok</p>',
      ]) {
        const draft = { subject: 's', html };
        expect(await pool.validate('generic', 'en', draft)).toEqual(
          validateTemplate('generic', draft),
        );
      }
    });

    it('stops a render over its time cap, naming the part, and renders on', async () => {
      settings.TEMPLATE_RENDER_TIMEOUT_MS = 50;
      const failure = await pool
        .render(programTemplate(HEAVY), { locales: ['en'], data: HEAVY_DATA })
        .catch((err: unknown) => err);
      settings.TEMPLATE_RENDER_TIMEOUT_MS = 60_000;
      expect(failure).toMatchObject({
        code: 'TEMPLATE_RENDER_LIMIT',
        limit: 'time',
        reason: 'the template took longer than 50 ms; show fewer items or use simpler blocks',
      });
      expect(['html', 'text']).toContain((failure as { part: string }).part);
      // The thread that ran it was terminated; a new one takes the next task.
      const next = await pool.render(programTemplate({ subject: 'Next', html: '<p>x</p>' }), {
        locales: ['en'],
        data: data({}),
      });
      expect(next.subject).toBe('Next');
    });

    it('starts its threads on first use and stops them on shutdown', async () => {
      const own = new TemplateWorkerPool(config({ TEMPLATE_WORKERS: 2 }));
      expect(own.threadCount).toBe(0);
      await own.render(programTemplate({ subject: 's', html: '<p>x</p>' }), {
        locales: ['en'],
        data: data({}),
      });
      expect(own.threadCount).toBe(2);
      await own.onApplicationShutdown();
      expect(own.threadCount).toBe(0);
    });

    it('refuses work once the application shuts down, as a failure to try again', async () => {
      const closing = new TemplateWorkerPool(config({}));
      await closing.onApplicationShutdown();
      const failure = await closing
        .render(programTemplate({ subject: 's', html: 'x' }), { locales: ['en'], data: data({}) })
        .catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(TemplateWorkerUnavailableError);
      expect(failure).toMatchObject({ code: 'RENDER_WORKER_UNAVAILABLE' });
    });
  });

  describe('with a small memory cap', () => {
    // The time cap well out of the way: on a busy machine the heavy render could reach the
    // default 2 s before it reaches 48 MB, and this is about the memory cap.
    const pool = new TemplateWorkerPool(
      config({ TEMPLATE_WORKER_MEMORY_MB: 48, TEMPLATE_RENDER_TIMEOUT_MS: 30_000 }),
    );
    afterAll(() => pool.onApplicationShutdown());

    it('fails a render that needs more memory with TEMPLATE_RENDER_LIMIT, and renders on', async () => {
      const failure = await pool
        .render(programTemplate(HEAVY), { locales: ['en'], data: HEAVY_DATA })
        .catch((err: unknown) => err);
      expect(failure).toMatchObject({
        code: 'TEMPLATE_RENDER_LIMIT',
        limit: 'memory',
        reason: 'the template needed more than 48 MB of memory; show fewer items',
      });
      const next = await pool.render(programTemplate({ subject: 'Next', html: '<p>x</p>' }), {
        locales: ['en'],
        data: data({}),
      });
      expect(next.subject).toBe('Next');
    });
  });
});
