import type { INestApplication } from '@nestjs/common';
import { JobQueue } from '../src/queue/job-queue.port';
import { JOB_NAMES } from '../src/queue/queue.constants';
import { startTestApp, TestApp } from './support/test-app';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  matchers?: Array<(path: string) => unknown>;
}

/** The paths the HTTP server routes: every route, and the paths middleware is mounted on. */
function mountedPaths(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
  const paths: string[] = [];
  for (const layer of express.router.stack) {
    if (layer.route) paths.push(layer.route.path);
  }
  return paths;
}

/** Whether some route of the server would take a request for `path`. */
function anyRouteMatches(app: INestApplication, path: string): boolean {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
  return express.router.stack.some(
    (layer) => layer.route !== undefined && layer.matchers?.some((match) => match(path)) === true,
  );
}

describe('Process roles (e2e)', () => {
  describe('a worker process', () => {
    let t: TestApp;
    beforeAll(async () => (t = await startTestApp({ role: 'worker' })));
    afterAll(() => t.close());

    it('mounts no /v1 and no /console route, only health and metrics', async () => {
      const paths = mountedPaths(t.app);
      expect(paths.filter((p) => p.startsWith('/v1') || p.startsWith('/console'))).toEqual([]);
      expect(paths).toEqual(expect.arrayContaining(['/health', '/metrics']));
      expect(anyRouteMatches(t.app, '/console')).toBe(false);
      expect(anyRouteMatches(t.app, '/v1/events')).toBe(false);
      await t.http.get('/v1/program').expect(404);
      await t.http.get('/console').expect(404);
      await t.http.get('/health').expect(200);
    });

    it('has a handler for every job', () => {
      expect([...t.app.get(JobQueue).registeredNames()].sort()).toEqual([...JOB_NAMES].sort());
    });
  });

  describe('an API process', () => {
    let t: TestApp;
    beforeAll(async () => (t = await startTestApp({ role: 'api' })));
    afterAll(() => t.close());

    it('registers no job handler, and serves the API and the console', async () => {
      expect(t.app.get(JobQueue).registeredNames()).toEqual([]);
      const paths = mountedPaths(t.app);
      expect(paths).toEqual(expect.arrayContaining(['/v1/events', '/v1/program', '/health']));
      expect(anyRouteMatches(t.app, '/console')).toBe(true);
      const program = await t.createProgram({ name: 'API only' });
      const res = await t.http
        .post('/v1/events')
        .set('Authorization', `Bearer ${program.secretKey}`)
        .send({ type: 'signup', participant: { id: 'p1', email: 'p1@example.com' } })
        .expect(202);
      expect(res.body.status).toBe('processed');
    });
  });
});
