import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  fillPlaceholder,
  mismatch,
  walkthroughSteps,
  WALKTHROUGH_MARK,
  type WalkthroughStep,
} from './support/readme-walkthrough';
import { startTestApp, type TestApp } from './support/test-app';

const README = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8');
const WRITES = /\s(-d|--data[\w-]*|-X|--request|-F|--form|-T|--upload-file)\b/;
const RETRY_MS = 20_000;

/** The real curl, not the one this test puts first on PATH. */
function realCurl(): string {
  const found = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('the README walkthrough runs its curl commands: install curl');
  return found;
}

// The README's walkthrough, run as a person runs it: each marked ```sh block in order, in a
// second terminal beside a fresh service, every command through bash and the real curl, every
// answer compared with the `# →` line under it. The service listens where the README says
// (localhost:3000) as far as curl knows: a wrapper on PATH points curl there.
describe('The README walkthrough (e2e)', () => {
  let t: TestApp;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const answers: unknown[] = [];
  const steps = walkthroughSteps(README);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rn-readme-'));
    // As npm start leaves it: the generated operator token in data/admin-token.
    t = await startTestApp({ dataDir: join(dir, 'data'), env: { ADMIN_TOKEN: undefined } });
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // The body on stdout as curl prints it; the status on stderr, for the test.
    writeFileSync(
      join(bin, 'curl'),
      `#!/bin/sh\nexec "${realCurl()}" --connect-to "localhost:3000:127.0.0.1:${new URL(t.baseUrl).port}" -w '%{stderr}%{http_code}' "$@"\n`,
    );
    chmodSync(join(bin, 'curl'), 0o755);
    env = { PATH: `${bin}:${process.env.PATH}`, HOME: dir, LANG: 'C.UTF-8' };
  });

  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has walkthrough blocks, each with commands and the answers they get', () => {
    expect(README).toContain(WALKTHROUGH_MARK);
    expect(steps.filter((s) => !s.assigns).length).toBeGreaterThan(5);
    expect(steps.filter((s) => !s.assigns && !s.expected)).toEqual([]);
  });

  // Not spawnSync: the service answers from this process, which must keep running meanwhile.
  const bash = (script: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn('bash', ['-c', script], { cwd: dir, env, timeout: 30_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });

  async function run(step: WalkthroughStep): Promise<void> {
    if (step.placeholder) {
      const value = fillPlaceholder(step.placeholder, answers);
      if (value === undefined)
        throw new Error(
          `README line ${step.line}: nothing in the answers so far fills ${step.command}`,
        );
      env[step.assigns!] = value;
      return;
    }
    if (step.assigns) {
      const out = await bash(`${step.command}\nprintf '%s' "$${step.assigns}"`);
      if (out.status !== 0) throw new Error(`README line ${step.line}: ${out.stderr}`);
      env[step.assigns] = out.stdout;
      return;
    }
    const expected = step.expected!;
    const until = Date.now() + (WRITES.test(step.command) ? 0 : RETRY_MS);
    for (;;) {
      const out = await bash(step.command);
      const status = Number(/(\d{3})$/.exec(out.stderr.trim())?.[1] ?? 0);
      let body: unknown = out.stdout;
      try {
        body = JSON.parse(out.stdout);
      } catch {
        // Not JSON (an .eml): compared by status only, as the README describes it in words.
      }
      const problem =
        status !== expected.status
          ? `answered ${status}, not ${expected.status}`
          : expected.body !== undefined
            ? mismatch(expected.body, body)
            : undefined;
      if (!problem) {
        answers.push(body);
        return;
      }
      // A read may wait for the background work (evaluation, delivery) a person waits for too.
      if (Date.now() > until)
        throw new Error(
          `README line ${step.line}: ${step.command}\n${problem}\nThe README says: ${expected.text}\nThe answer: ${out.stdout.slice(0, 2000)}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('gives the answers the README shows, command by command', async () => {
    for (const step of steps) await run(step);
  }, 120_000);

  it('lists every setting a program has in its table of settings', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      components: { schemas: Record<string, { properties?: Record<string, { $ref?: string }> }> };
    };
    const schemas = doc.components.schemas;
    const names = (schema: string, prefix = ''): string[] =>
      Object.entries(schemas[schema]?.properties ?? {}).flatMap(([key, prop]) => {
        const ref =
          prop.$ref?.split('/').pop() ??
          (prop as { allOf?: Array<{ $ref?: string }> }).allOf?.[0]?.$ref?.split('/').pop();
        return ref && schemas[ref]?.properties
          ? [`${prefix}${key}`, ...names(ref, `${prefix}${key}.`)]
          : [`${prefix}${key}`];
      });
    const settings = names('ProgramSettingsDto');
    expect(settings.length).toBeGreaterThan(5);
    const table = README.slice(README.indexOf('### Program settings'));
    for (const setting of settings) expect(table).toContain(`\`settings.${setting}\``);
  });
});
