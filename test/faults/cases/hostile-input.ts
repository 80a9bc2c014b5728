import { simpleParser } from 'mailparser';
import { createServer, type Server } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Api, type ApiResponse, type CallOptions, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import {
  fillPath,
  operations,
  resolve,
  sampleOf,
  type OpenApiDocument,
  type Operation,
  type Schema,
} from '../support/openapi';
import { seconds, sleep, waitFor } from '../support/run';
import type { Suite } from '../support/suite';
import { hardeningAudit } from './hardening-audit';

const MB = 1024 * 1024;
const CODE = /^[A-Z][A-Z0-9_]*$/;
const POLLUTION_MARK = 'polluted-by-fault-suite';

// Path segments as a client could send them (already URL-encoded).
const HOSTILE_SEGMENTS = [
  'x'.repeat(3000),
  '%00',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%E2%80%AEevil',
  'a%E2%80%8Bb',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%FF%FE',
  '__proto__',
  'constructor',
  '%0D%0ASet-Cookie:%20a=1',
  "1'%20OR%20'1'='1",
];

const HOSTILE_QUERY = [
  '-1',
  '0',
  '1e309',
  '99999999999999999999',
  'abc',
  '%00',
  'x'.repeat(5000),
  '%ED%A0%80',
  '{"$gt":""}',
];

// Strings for every string field; JSON text, so that lone surrogates stay lone on the wire.
const HOSTILE_STRINGS: Array<[string, string]> = [
  ['1 MB minus a little', JSON.stringify('x'.repeat(MB - 2048))],
  ['RTL override', JSON.stringify('ana\u202Egpj.exe@example.com')],
  ['zero-width', JSON.stringify('a\u200Bb\u200Cc\u200Dd\uFEFF')],
  ['unpaired surrogates', '"\\ud800x\\udfff"'],
  ['emoji', JSON.stringify('😀👨‍👩‍👧‍👦🏳️‍🌈')],
  ['combining marks', JSON.stringify(`e${'\u0301'.repeat(5000)}`)],
  ['NUL', '"a\\u0000b"'],
  ['CR LF', JSON.stringify('a\r\nBcc: victim@evil.test')],
  ['template', JSON.stringify('{{constructor.constructor "return process"}}')],
  ['empty', '""'],
];

const WRONG_TYPES: Array<[string, string]> = [
  ['number', '123'],
  ['negative float', '-1.5e308'],
  ['boolean', 'true'],
  ['null', 'null'],
  ['array', '[1,"a",{}]'],
  ['object', '{"a":{"b":{"c":1}}}'],
  ['string', '"str"'],
];

const MALFORMED = [
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '[1,2',
  'nul',
  '\u0000',
  '{"a":"\\x"}',
  '{"a":1}{"b":2}',
  '{"a":"\u0000\u0001\u0002',
];
const NOT_OBJECTS = ['[]', '"a string"', '123', 'null', 'true'];

interface Violation {
  label: string;
  problem: string;
}

/** Case 6: hostile input on every documented route of an API process that refuses private SMTP hosts. */
export function hostileInput(suite: Suite): void {
  let cluster: Cluster;
  let api: Api;
  let program: ProgramKeys;
  let doc: OpenApiDocument;
  let ops: Operation[];
  let canary: Server;
  let canaryPort = 0;
  let canaryConnections = 0;
  const ids: Record<string, string> = {};
  const violations: Violation[] = [];
  const statuses = new Map<number, number>();
  const codes = new Map<string, number>();
  let requests = 0;
  let counts: Record<string, number> | undefined;
  let firstResponse = 0;

  beforeAll(async () => {
    firstResponse = suite.run.responses.items.length;
    // Anything that tried to connect to a private host would land here.
    canary = createServer((socket) => {
      canaryConnections++;
      socket.destroy();
    });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', () => r()));
    canaryPort = (canary.address() as { port: number }).port;

    // The API process refuses private hosts, as in production. Its worker does not: it shares the
    // database with the clusters of cases 1 and 4, whose claims expire while this case runs, and a
    // process refusing their sinks on 127.0.0.1 would fail those messages for good if its sweep
    // found them first (a deployment whose processes disagree on the setting, not a fault).
    // This case's own mail goes through the built-in sender, which connects nowhere.
    cluster = await Cluster.start(suite.run, {
      name: 'hostile',
      workers: 1,
      apiRole: 'api',
      env: {
        // The limits of the public routes would answer 429 before the input is even read.
        PUBLIC_RATE_LIMIT_IP_PER_MINUTE: '1000000',
        PUBLIC_RATE_LIMIT_ADDRESS_PER_HOUR: '1000000',
        PUBLIC_RATE_LIMIT_PROGRAM_PER_MINUTE: '1000000',
      },
      apiEnv: { SMTP_ALLOW_PRIVATE_HOSTS: 'false' },
    });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Hostile input');
    const key = program.secretKey;
    expect(
      (await api.put('/v1/participants/hp-1', key, { email: 'hp1@example.com', firstName: 'Hana' }))
        .status,
    ).toBe(201);
    expect(
      (
        await api.put('/v1/templates/custom/en', key, {
          subject: 'Hi {{default participant.firstName "there"}}',
          html: '<p>Hello {{default participant.firstName "there"}}</p>',
        })
      ).status,
    ).toBe(201);
    const rule = await api.post('/v1/rules', key, {
      name: 'Welcome',
      event: 'signup',
      actions: [
        { type: 'email', template: 'custom', to: 'participant' },
        {
          type: 'reward',
          to: 'participant',
          kind: 'points',
          amount: 10,
          currency: 'USD',
          email: false,
        },
      ],
    });
    expect(rule.status).toBe(201);
    ids.rule = rule.body.id;
    const event = await api.post('/v1/events', key, {
      type: 'signup',
      participant: { id: 'hp-1' },
      idempotencyKey: 'hostile-setup',
    });
    expect(event.status).toBe(202);
    ids.event = event.body.id;
    const processed = await waitFor(
      'the setup event processed',
      async () => {
        const e = await api.get(`/v1/events/${ids.event}`, key);
        return e.body.status === 'processed' && e.body;
      },
      30_000,
    );
    ids.message = processed.results[0].actions.find(
      (a: { messageId?: string }) => a.messageId,
    ).messageId;
    ids.reward = processed.results[0].actions.find(
      (a: { rewardId?: string }) => a.rewardId,
    ).rewardId;
    await waitFor(
      'the setup email written',
      async () => (await api.get(`/v1/messages/${ids.message}`, key)).body.status === 'sent',
      30_000,
    );
    expect(
      (
        await api.put('/v1/integrations/sender-domain', key, {
          domain: 'acme.test',
          fromAddress: 'news@acme.test',
        })
      ).status,
    ).toBe(200);
    doc = (await api.get('/docs-json')).body as OpenApiDocument;
    ops = operations(doc).filter((op) => op.path !== '/health');
  });
  // Writes made outside `attempt` (setting up a test) change the counts it compares with.
  beforeEach(() => (counts = undefined));
  afterAll(async () => {
    await cluster?.stop();
    await new Promise<void>((r) => (canary ? canary.close(() => r()) : r()));
  });

  const keyFor = (op: Operation) =>
    op.auth === 'operator'
      ? suite.run.adminToken
      : op.auth === 'publishable'
        ? program.publishableKey
        : op.auth === 'secret'
          ? program.secretKey
          : undefined;

  function validParams(op: Operation): Record<string, string> {
    const resource = op.path.split('/')[2];
    const id =
      {
        participants: 'hp-1',
        messages: ids.message,
        rules: ids.rule,
        rewards: ids.reward,
        events: ids.event,
      }[resource] ?? 'hp-1';
    return { id, key: 'custom', locale: 'en', senderId: 'ana' };
  }

  /** The row counts once they stop changing: the same in two reads 100 ms apart (at most 10 s). */
  async function quietCounts(last: Record<string, number>): Promise<Record<string, number>> {
    for (let waited = 0; waited < 10_000; waited += 100) {
      await sleep(100);
      const now = await suite.db.tableCounts();
      if (Object.keys(now).every((t) => now[t] === last[t])) return now;
      last = now;
    }
    return last;
  }

  /** One hostile request: never a 5xx, every error in the common shape, nothing stored when refused. */
  async function attempt(
    label: string,
    method: string,
    path: string,
    options: CallOptions,
    expectRefused = false,
    // Another process of the case (the one that may reach the mail servers), whose workers go on
    // writing in the background: its writes are not compared with the row counts.
    via?: Api,
  ): Promise<ApiResponse | undefined> {
    const write = method !== 'GET' && !via;
    if (write) counts ??= await suite.db.tableCounts();
    requests++;
    let res: ApiResponse;
    try {
      res = await (via ?? api).call(method, path, { timeoutMs: 20_000, ...options });
    } catch (err) {
      violations.push({ label, problem: `no answer: ${(err as Error).message}` });
      counts = undefined;
      return undefined;
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500)
      violations.push({ label, problem: `${res.status} ${res.text.slice(0, 300)}` });
    if (res.status >= 400) {
      const body = res.body as { statusCode?: unknown; code?: unknown } | undefined;
      if (
        !body ||
        body.statusCode !== res.status ||
        typeof body.code !== 'string' ||
        !CODE.test(body.code)
      ) {
        violations.push({
          label,
          problem: `error body without a stable code: ${res.status} ${res.text.slice(0, 200)}`,
        });
      } else {
        codes.set(body.code, (codes.get(body.code) ?? 0) + 1);
      }
    }
    if (expectRefused && res.status < 400)
      violations.push({ label, problem: `accepted with ${res.status}: ${res.text.slice(0, 200)}` });
    if (write) {
      let after = await suite.db.tableCounts();
      if (res.status >= 400) {
        const changed = Object.keys(after).filter((t) => after[t] !== counts?.[t]);
        if (changed.length)
          violations.push({
            label,
            problem: `refused with ${res.status} but rows changed in ${changed.join(', ')}`,
          });
      } else {
        // An accepted write may go on writing after its answer: a public trigger stores its token
        // and email then (how long it takes must not tell whether the person exists), an event's
        // evaluation its rewards and messages. None of that may be counted against the next request.
        after = await quietCounts(after);
      }
      counts = after;
    }
    return res;
  }

  function expectClean(what: string): void {
    const shown = violations.slice(0, 25).map((v) => `${v.label}: ${v.problem}`);
    expect({ what, violations: shown, total: violations.length }).toEqual({
      what,
      violations: [],
      total: 0,
    });
  }

  function propertiesOf(schema: Schema): Array<[string[], Schema]> {
    const out: Array<[string[], Schema]> = [];
    for (const [name, prop] of Object.entries(schema.properties ?? {})) {
      const resolved = resolve(doc, prop);
      out.push([[name], resolved]);
      for (const [inner, innerProp] of Object.entries(resolved.properties ?? {}))
        out.push([[name, inner], resolve(doc, innerProp)]);
    }
    return out;
  }

  /** The JSON text of `base` with the value at `path` replaced by `json`. */
  function withValue(base: Record<string, unknown>, path: string[], json: string): string {
    const mark = '"__HOSTILE_VALUE__"';
    const copy = structuredClone(base);
    let node = copy;
    for (const key of path.slice(0, -1)) {
      if (!node[key] || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = '__HOSTILE_VALUE__';
    return JSON.stringify(copy).replace(mark, () => json);
  }

  it('answers hostile path parameters, query strings and bodies on every documented route with a 4xx and a stable code', async () => {
    const started = Date.now();
    for (const op of ops) {
      const key = keyFor(op);
      const valid = validParams(op);
      const path = fillPath(op.path, valid);
      // A valid body there would replace the key the rest of the run uses: start from an invalid one.
      const destructive = op.method === 'POST' && op.path === '/v1/program/keys/rotate';
      const base =
        op.body?.contentType === 'application/json'
          ? destructive
            ? {}
            : (sampleOf(doc, op.body.schema, '', { port: canaryPort }) as Record<string, unknown>)
          : undefined;
      const baseOptions: CallOptions = base
        ? { key, body: base }
        : op.body
          ? { key, raw: 'id,email\n', contentType: op.body.contentType }
          : { key };

      for (const param of op.pathParams) {
        for (const value of HOSTILE_SEGMENTS) {
          await attempt(
            `${op.method} ${op.path} {${param}}=${value.slice(0, 24)}`,
            op.method,
            fillPath(op.path, { ...valid, [param]: value }),
            baseOptions,
          );
        }
      }
      for (const q of op.query) {
        for (const value of HOSTILE_QUERY) {
          await attempt(
            `${op.method} ${op.path}?${q.name}=${value.slice(0, 24)}`,
            op.method,
            `${path}?${q.name}=${value}`,
            { key },
          );
        }
        await attempt(
          `${op.method} ${op.path}?${q.name} twice`,
          op.method,
          `${path}?${q.name}=1&${q.name}=2`,
          { key },
        );
      }
      if (!op.body) continue;
      const label = `${op.method} ${op.path}`;
      const bodyType = op.body.contentType;
      const raw = (
        body: string,
        contentType = bodyType,
        headers?: Record<string, string>,
      ): CallOptions => ({ key, raw: body, contentType, headers });
      await attempt(
        `${label} over 1 MB`,
        op.method,
        path,
        raw(JSON.stringify({ ...base, x: 'x'.repeat(MB + 1024) })),
        true,
      );
      await attempt(
        `${label} gzip bomb`,
        op.method,
        path,
        {
          key,
          raw: gzipSync(Buffer.alloc(64 * MB, 32)),
          contentType: op.body.contentType,
          headers: { 'content-encoding': 'gzip' },
        },
        true,
      );
      if (op.body.contentType !== 'application/json') {
        for (const csv of [
          '=HYPERLINK("http://169.254.169.254")',
          'id,email\r\n"unterminated,a@example.com',
          `id,email\n${'y'.repeat(200_000)},a@example.com`,
          '\uFEFFid,email\nx\u0000,a@example.com',
        ]) {
          await attempt(`${label} CSV ${csv.slice(0, 20)}`, op.method, path, raw(csv));
        }
        continue;
      }
      for (const body of MALFORMED)
        await attempt(
          `${label} malformed ${JSON.stringify(body)}`,
          op.method,
          path,
          raw(body),
          true,
        );
      for (const body of NOT_OBJECTS)
        await attempt(`${label} body ${body}`, op.method, path, raw(body), true);
      for (const forbidden of [
        `{"__proto__":{"${POLLUTION_MARK}":true}}`,
        `{"constructor":{"prototype":{"${POLLUTION_MARK}":true}}}`,
        withValue(base ?? {}, ['prototype'], '{}'),
      ]) {
        const res = await attempt(`${label} forbidden key`, op.method, path, raw(forbidden), true);
        if (res && res.body?.code !== 'FORBIDDEN_KEY')
          violations.push({
            label: `${label} forbidden key`,
            problem: `answered ${res.status} ${res.body?.code}`,
          });
      }
      for (const [contentType, body] of [
        ['text/plain', JSON.stringify(base)],
        ['application/x-www-form-urlencoded', 'a=1&__proto__[x]=1'],
        [
          'application/xml',
          '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
        ],
        ['application/json; charset=latin1', JSON.stringify(base)],
        ['application/json; charset=utf-16', JSON.stringify(base)],
      ]) {
        await attempt(`${label} as ${contentType}`, op.method, path, raw(body, contentType));
      }
      for (const [prop, schema] of propertiesOf(op.body.schema)) {
        const name = prop.join('.');
        for (const [kind, json] of WRONG_TYPES) {
          if (
            kind === schema.type ||
            (kind === 'number' && schema.type === 'integer') ||
            (kind === 'null' && schema.nullable)
          )
            continue;
          await attempt(
            `${label} ${name}=${kind}`,
            op.method,
            path,
            raw(withValue(base ?? {}, prop, json)),
          );
        }
        if (schema.type && schema.type !== 'string') continue;
        for (const [kind, json] of HOSTILE_STRINGS) {
          await attempt(
            `${label} ${name}=${kind}`,
            op.method,
            path,
            raw(withValue(base ?? {}, prop, json)),
          );
        }
      }
    }
    // A few headers of their own.
    await attempt(
      'Idempotency-Key of 300 characters',
      'POST',
      '/v1/events',
      {
        key: program.secretKey,
        body: { type: 't', participant: { id: 'hp-1' } },
        headers: { 'idempotency-key': 'k'.repeat(300) },
      },
      true,
    );
    await attempt(
      'a 6 KB bearer token',
      'GET',
      '/v1/program',
      { key: `sk_${'a'.repeat(6000)}` },
      true,
    );
    await attempt(
      'Basic credentials',
      'GET',
      '/v1/program',
      { headers: { authorization: 'Basic YTpi' } },
      true,
    );
    await attempt(
      'unknown route',
      'GET',
      '/v1/%E2%80%AE/../../etc/passwd',
      { key: program.secretKey },
      true,
    );

    suite.run.report.line(
      '6 hostile input (routes)',
      `${ops.length} documented routes, ${requests} hostile requests in ${seconds(Date.now() - started)}: ` +
        `answers ${[...statuses]
          .sort()
          .map(([s, n]) => `${s}×${n}`)
          .join(', ')}; codes ${[...codes]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 12)
          .map(([c, n]) => `${c}×${n}`)
          .join(', ')}; problems ${violations.length}`,
    );
    expectClean('every documented route');
  });

  it('refuses CR, LF and NUL in every field that becomes a mail header, and stores nothing', async () => {
    const before = violations.length;
    const sk = program.secretKey;
    const fromName = (await api.get('/v1/program', sk)).body.fromName as unknown;
    const breaks = ['a\r\nBcc: victim@evil.test', 'a\nX-Injected: 1', 'a\rb', 'a\u0000b'];
    const cases: Array<
      [string, string, string | undefined, (v: string) => Record<string, unknown>]
    > = [
      ['POST', '/v1/programs', suite.run.adminToken, (v) => ({ name: 'N', fromName: v })],
      ['POST', '/v1/programs', suite.run.adminToken, (v) => ({ name: v })],
      [
        'POST',
        '/v1/programs',
        suite.run.adminToken,
        (v) => ({ name: 'N', replyTo: `r${v}@example.com` }),
      ],
      ['PATCH', '/v1/program', sk, (v) => ({ fromName: v })],
      ['PATCH', '/v1/program', sk, (v) => ({ replyTo: `r${v}@example.com` })],
      [
        'PUT',
        '/v1/integrations/smtp',
        sk,
        (v) => ({
          host: '127.0.0.1',
          port: canaryPort,
          security: 'none',
          fromAddress: 'a@acme.test',
          fromName: v,
        }),
      ],
      [
        'PUT',
        '/v1/integrations/smtp',
        sk,
        (v) => ({
          host: '127.0.0.1',
          port: canaryPort,
          security: 'none',
          fromAddress: `a${v}@acme.test`,
        }),
      ],
      [
        'PUT',
        '/v1/integrations/smtp',
        sk,
        (v) => ({ host: `h${v}`, port: canaryPort, security: 'none', fromAddress: 'a@acme.test' }),
      ],
      [
        'PUT',
        '/v1/integrations/smtp/senders/ana',
        sk,
        (v) => ({ email: 'ana@acme.test', password: 'p', fromName: v }),
      ],
      [
        'PUT',
        '/v1/integrations/sender-domain',
        sk,
        (v) => ({ domain: 'acme.test', fromAddress: 'news@acme.test', fromName: v }),
      ],
      ['PUT', '/v1/templates/custom/en', sk, (v) => ({ subject: `Hi ${v}`, html: '<p>x</p>' })],
      ['POST', '/v1/templates/custom/test', sk, (v) => ({ to: `to${v}@example.com` })],
      ['POST', '/v1/integrations/smtp/test', sk, (v) => ({ to: `to${v}@example.com` })],
      ['PUT', '/v1/participants/hp-2', sk, (v) => ({ email: 'hp2@example.com', firstName: v })],
      ['PUT', '/v1/participants/hp-2', sk, (v) => ({ email: 'hp2@example.com', lastName: v })],
      ['PUT', '/v1/participants/hp-2', sk, (v) => ({ email: `hp2${v}@example.com` })],
      [
        'POST',
        '/v1/events',
        sk,
        (v) => ({
          type: 'signup',
          participant: { id: 'hp-3', email: 'hp3@example.com', firstName: v },
        }),
      ],
      [
        'POST',
        '/v1/events',
        sk,
        (v) => ({
          type: 'signup',
          participant: { id: 'hp-3', email: 'hp3@example.com' },
          referrer: { id: 'hp-4', email: 'hp4@example.com', lastName: v },
        }),
      ],
      [
        'POST',
        '/v1/events',
        sk,
        (v) => ({ type: `signup${v}`, participant: { id: 'hp-3', email: 'hp3@example.com' } }),
      ],
      [
        'POST',
        '/v1/public/verification',
        program.publishableKey,
        (v) => ({ email: `hp1${v}@example.com` }),
      ],
      [
        'POST',
        '/v1/public/password-reset',
        program.publishableKey,
        (v) => ({ email: `hp1${v}@example.com` }),
      ],
    ];
    for (const [method, path, key, body] of cases) {
      for (const v of breaks)
        await attempt(
          `${method} ${path} ${JSON.stringify(body(v)).slice(0, 60)}`,
          method,
          path,
          { key, body: body(v) },
          true,
        );
    }
    const p = await api.get('/v1/program', sk);
    expect(p.body.fromName).toEqual(fromName);
    suite.run.report.line(
      '6 hostile input (header fields)',
      `${cases.length} header-bound fields × ${breaks.length} line breaks or NUL: all refused, nothing stored; problems ${violations.length - before}`,
    );
    expectClean('header fields');
  });

  it('keeps a line break in rendered data inside one header of the sent message', async () => {
    const sk = program.secretKey;
    expect(
      (
        await api.put('/v1/participants/hp-note', sk, {
          email: 'note@example.com',
          firstName: 'Noa',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api.put('/v1/templates/note/en', sk, {
          subject: 'Note: {{event.data.note}}',
          html: '<p>{{event.data.note}}</p>',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api.post('/v1/rules', sk, {
          name: 'Note',
          event: 'note',
          actions: [{ type: 'email', template: 'note', to: 'participant' }],
        })
      ).status,
    ).toBe(201);
    const note = 'hello\r\nBcc: victim@evil.test\r\nX-Injected: yes\r\n\r\nbody';
    const event = await api.post('/v1/events', sk, {
      type: 'note',
      participant: { id: 'hp-note' },
      data: { note },
    });
    expect(event.status).toBe(202);
    const processed = await waitFor(
      'the note event processed',
      async () => {
        const e = await api.get(`/v1/events/${event.body.id}`, sk);
        return e.body.status === 'processed' && e.body;
      },
      30_000,
    );
    const messageId = processed.results[0].actions[0].messageId as string;
    await waitFor(
      'the note written',
      async () => (await api.get(`/v1/messages/${messageId}`, sk)).body.status === 'sent',
      30_000,
    );
    const raw = await fetch(`${cluster.api.baseUrl}/v1/messages/${messageId}/raw`, {
      headers: { authorization: `Bearer ${sk}` },
    });
    expect(raw.status).toBe(200);
    const mail = await simpleParser(Buffer.from(await raw.arrayBuffer()));
    suite.run.report.line(
      '6 hostile input (rendered headers)',
      `event data with CR LF rendered into a subject: sent with subject ${JSON.stringify(mail.subject)}, headers ${[...mail.headers.keys()].join(', ')}`,
    );
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.headers.has('x-injected')).toBe(false);
    expect(mail.subject).toBe('Note: hello Bcc: victim@evil.test X-Injected: yes body');
    expect(mail.to).toMatchObject({ value: [{ address: 'note@example.com', name: 'Noa' }] });
  });

  it('refuses template injection and prototype access, and stops list bombs and huge values at a limit', async () => {
    const before = violations.length;
    const sk = program.secretKey;
    const injections = [
      '{{constructor.constructor "return process"}}',
      '{{#with constructor}}{{name}}{{/with}}',
      '{{lookup this "constructor"}}',
      '{{lookup (lookup this "constructor") "prototype"}}',
      '{{this.__proto__}}',
      '{{__proto__.polluted}}',
      '{{@root.constructor.name}}',
      '{{participant.constructor.name}}',
      '{{> ../../../../etc/passwd}}',
      '{{#each (lookup @root "constructor")}}x{{/each}}',
      '{{{{raw}}}}{{constructor}}{{{{/raw}}}}',
      '{{log "x"}}',
      '{{#blockHelperMissing}}x{{/blockHelperMissing}}',
      '{{helperMissing "x"}}',
      `${'{{#if program.name}}'.repeat(3000)}x${'{{/if}}'.repeat(3000)}`,
      `${'{{#with program}}'.repeat(3000)}x${'{{/with}}'.repeat(3000)}`,
      'x'.repeat(210 * 1024),
    ];
    const leaks = /function|\[native code\]|process|Object\]/;
    let saved = 0;
    let slowest = 0;
    for (const html of injections) {
      const label = `template ${html.slice(0, 40)}`;
      const res = await attempt(label, 'PUT', '/v1/templates/inj/en', {
        key: sk,
        body: { subject: 'S', html },
      });
      slowest = Math.max(slowest, res?.ms ?? 0);
      if (!res || res.status >= 400) continue;
      saved++;
      const preview = await attempt(`${label} preview`, 'POST', '/v1/templates/inj/preview', {
        key: sk,
        body: {},
      });
      if (
        preview &&
        preview.status < 400 &&
        leaks.test(String(preview.body?.html).replace(/<[^>]+>/g, ''))
      ) {
        violations.push({
          label,
          problem: `preview shows internals: ${String(preview.body.html).slice(0, 200)}`,
        });
      }
    }

    // Templates that pass validation but multiply: nested lists, and a long value many times.
    const bombs: Array<[string, string, Record<string, unknown>]> = [
      [
        'three nested lists of 2,000',
        '{{#each event.data.a}}{{#each @root.event.data.a}}{{#each @root.event.data.a}}x{{/each}}{{/each}}{{/each}}',
        { a: Array(2000).fill(0) },
      ],
      [
        'two nested lists of 8,000',
        '{{#each event.data.a}}{{#each @root.event.data.a}}{{@index}}{{/each}}{{/each}}',
        { a: Array(8000).fill(0) },
      ],
      // 12,000 uses are refused at save now (1,000 mustaches at most): the most a save allows.
      ['a 30 KB value 1,000 times', '{{event.data.s}}'.repeat(1_000), { s: 'y'.repeat(30_000) }],
    ];
    const times: string[] = [];
    for (const [name, html, data] of bombs) {
      const put = await attempt(`bomb ${name}`, 'PUT', '/v1/templates/bomb/en', {
        key: sk,
        body: { subject: 'S', html },
      });
      expect([200, 201]).toContain(put?.status);
      const started = Date.now();
      const res = await attempt(
        `bomb ${name} preview`,
        'POST',
        '/v1/templates/bomb/preview',
        { key: sk, body: { data: { event: { data } } } },
        true,
      );
      times.push(`${name} ${res?.status} ${res?.body?.code} in ${Date.now() - started} ms`);
      // TEMPLATE_RENDER_FAILED before the audit's render limits; a limit has a code of its own now.
      expect(res?.body?.code).toBe('TEMPLATE_RENDER_LIMIT');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await cluster.api.health()).toBe(200);
    }
    // The same through a real delivery: the message fails and says why; the worker stays up.
    expect(
      (await api.put('/v1/templates/bomb/en', sk, { subject: 'S', html: bombs[0][1] })).status,
    ).toBe(200);
    expect(
      (
        await api.post('/v1/rules', sk, {
          name: 'Bomb',
          event: 'bomb',
          actions: [{ type: 'email', template: 'bomb', to: 'participant' }],
        })
      ).status,
    ).toBe(201);
    const event = await api.post('/v1/events', sk, {
      type: 'bomb',
      participant: { id: 'hp-1' },
      data: { a: Array(2000).fill(0) },
    });
    expect(event.status).toBe(202);
    const processed = await waitFor(
      'the bomb event processed',
      async () => {
        const e = await api.get(`/v1/events/${event.body.id}`, sk);
        return e.body.status === 'processed' && e.body;
      },
      30_000,
    );
    const messageId = processed.results[0].actions[0].messageId as string;
    const message = await waitFor(
      'the bomb message settled',
      async () => {
        const m = await api.get(`/v1/messages/${messageId}`, sk);
        return m.body.status === 'failed' && m.body;
      },
      30_000,
    );
    suite.run.report.line(
      '6 hostile input (templates)',
      `${injections.length} injection and helper-abuse templates: ${injections.length - saved} refused, ${saved} saved and previewed without internals (slowest answer ${slowest} ms); ` +
        `bombs: ${times.join('; ')}; through delivery: message ${message.status} ${message.error?.code} (permanent ${message.error?.permanent}); problems ${violations.length - before}`,
    );
    expect(message.error).toMatchObject({ code: 'TEMPLATE_RENDER_LIMIT', permanent: true });
    // A template is checked while the process serves everyone else: never for long.
    expect(slowest).toBeLessThan(5000);
    expectClean('templates');
  });

  it('refuses SMTP hosts that are or resolve to private addresses, without connecting', async () => {
    const before = violations.length;
    const hosts = [
      // Names resolve through /etc/hosts only: nothing here may ask a DNS server.
      '127.0.0.1',
      '127.0.0.2',
      '127.1',
      '0.0.0.0',
      '0',
      '2130706433',
      '0x7f000001',
      '017700000001',
      'localhost',
      'LOCALHOST.',
      'localhost.',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::',
      '169.254.169.254',
      '[fe80::1]',
      'fd00::1',
      '10.0.0.1',
      '172.16.0.1',
      '192.168.1.1',
      '100.64.0.1',
    ];
    const answers = new Map<string, number>();
    for (const host of hosts) {
      for (const port of [canaryPort, 25]) {
        const res = await attempt(
          `SMTP host ${host}:${port}`,
          'PUT',
          '/v1/integrations/smtp',
          {
            key: program.secretKey,
            body: {
              host,
              port,
              security: 'tls',
              username: 'u',
              password: 'hostile-password-2',
              fromAddress: 'a@acme.test',
            },
          },
          true,
        );
        const code = `${res?.status} ${res?.body?.code}`;
        answers.set(code, (answers.get(code) ?? 0) + 1);
      }
    }
    suite.run.secrets.add('SMTP password', 'hostile-password-2');
    const integration = await api.get('/v1/integrations/smtp', program.secretKey);
    suite.run.report.line(
      '6 hostile input (SMTP hosts)',
      `${hosts.length} hosts × 2 ports (loopback, private, link-local and metadata addresses in every spelling): ${[...answers].map(([c, n]) => `${c}×${n}`).join(', ')}; ` +
        `connections that reached a listener ${canaryConnections}; integration afterwards ${integration.status} ${integration.body.code}; problems ${violations.length - before}`,
    );
    expect(canaryConnections).toBe(0);
    expect(integration.status).toBe(404);
    expectClean('SMTP hosts');
  });

  // The hardening audit's items 1, 2, 8, 9 and 14 (RELIABILITY.md), before the last check.
  hardeningAudit(suite, {
    api: () => api,
    cluster: () => cluster,
    program: () => program,
    ops: () => ops,
    canaryPort: () => canaryPort,
    keyFor,
    validPath: (op) => fillPath(op.path, validParams(op)),
    firstResponse: () => firstResponse,
    attempt,
    violations,
    expectClean,
  });

  it('treats prototype names as plain ids, and is still up and healthy after all of it', async () => {
    const sk = program.secretKey;
    for (const id of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']) {
      await attempt(`participant ${id}`, 'PUT', `/v1/participants/${id}`, {
        key: sk,
        body: { email: `${id.replace(/_/g, '')}@example.com` },
      });
      const event = await attempt(`event for ${id}`, 'POST', '/v1/events', {
        key: sk,
        body: { type: 'signup', participant: { id }, referrer: { id: 'hp-1' } },
      });
      expect(event?.status).toBe(202);
      const processed = await waitFor(
        `the event of ${id} settled`,
        async () => {
          const e = await api.get(`/v1/events/${event?.body.id}`, sk);
          return e.body.status !== 'queued' && e.body;
        },
        30_000,
      );
      expect({ id, status: processed.status, error: processed.error }).toEqual({
        id,
        status: 'processed',
        error: null,
      });
    }
    const health = await cluster.api.health();
    const errors = cluster.api
      .tail(100_000)
      .split('\n')
      .filter((l) => l.includes('"level":50') || l.includes('"level":60'));
    const polluted = suite.run.responses.items.filter(
      (r) => r.text.includes(POLLUTION_MARK) && r.status < 400,
    );
    suite.run.report.line(
      '6 hostile input (after)',
      `health ${health}, process ${cluster.api.alive() ? 'up' : 'gone'}; error-level log lines ${errors.length}; answers showing the pollution mark ${polluted.length}; ` +
        `${requests} hostile requests in all, 5xx ${[...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0)}`,
    );
    expect(health).toBe(200);
    expect(cluster.api.alive()).toBe(true);
    expect(errors.map((l) => l.slice(0, 300))).toEqual([]);
    expect(polluted).toEqual([]);
    expectClean('after');
  });
}
