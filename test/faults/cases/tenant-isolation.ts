import { randomBytes } from 'node:crypto';
import { SmtpTestServer } from '../../support/smtp-test-server';
import { Api, type ApiResponse, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import { fillPath, operations, type OpenApiDocument, type Operation } from '../support/openapi';
import { waitFor } from '../support/run';
import { SMTP_USER, type Suite } from '../support/suite';

// Routes that create or replace an object under an id the client chooses: with another
// program's id they act on the caller's own namespace, which must not reveal the other's.
const UPSERTS = new Set([
  'PUT /v1/participants/{id}',
  'PUT /v1/templates/{key}/{locale}',
  'PUT /v1/integrations/smtp/senders/{senderId}',
  'PUT /v1/suppressions/{email}',
]);

// Valid bodies, so that the answer comes from looking the object up rather than from validation.
const BODIES: Record<string, unknown> = {
  'PATCH /v1/rewards/{id}': { status: 'cancelled' },
  'PATCH /v1/rules/{id}': { enabled: false },
  'POST /v1/templates/{key}/test': { to: 'b-admin@example.com' },
  'POST /v1/integrations/smtp/senders/{senderId}/test': { to: 'b-admin@example.com' },
  'PUT /v1/participants/{id}': { email: 'b-own@example.com' },
  'PUT /v1/participants/{id}/preferences': { categories: { marketing: false } },
  'PUT /v1/templates/{key}/settings': { category: 'rewards' },
  'PUT /v1/templates/{key}/{locale}': { subject: 'B', html: '<p>B</p>' },
  'PUT /v1/integrations/smtp/senders/{senderId}': {
    email: 'ana@acme.test',
    password: 'b-sender-password',
  },
};

/** Case 7: every route with another program's ids, and every secret route with a publishable key. */
export function tenantIsolation(suite: Suite): void {
  const password = `smtp-pw-${randomBytes(9).toString('hex')}`;
  const senderPassword = `sender-pw-${randomBytes(9).toString('hex')}`;
  const passwordOfB = `smtp-pw-b-${randomBytes(9).toString('hex')}`;
  let cluster: Cluster;
  let sink: SmtpTestServer;
  let api: Api;
  let a: ProgramKeys;
  let b: ProgramKeys;
  let ops: Operation[];
  const ids: Record<string, string> = {};
  const snapshot = new Map<string, string>();

  // What only program A has: none of it may show in an answer to program B.
  const secretsOfA = () => [
    a.id,
    ids.rule,
    ids.event,
    ids.message,
    ids.reward,
    'pa1@example.com',
    'Pia Alpha',
    'ana@acme.test',
    'a-brand.test',
    'Only-for-A',
    'held@a-brand.test',
  ];

  const aPaths = (op: Operation) => {
    const resource = op.path.split('/')[2];
    const id =
      {
        participants: 'pa-1',
        messages: ids.message,
        rules: ids.rule,
        rewards: ids.reward,
        events: ids.event,
      }[resource] ?? 'pa-1';
    return fillPath(op.path, {
      id,
      key: 'welcome',
      locale: 'en',
      senderId: 'ana',
      email: 'held@a-brand.test',
    });
  };

  beforeAll(async () => {
    sink = await SmtpTestServer.start({
      users: { [SMTP_USER]: password, 'mailer-b': passwordOfB, 'ana@acme.test': senderPassword },
    });
    cluster = await Cluster.start(suite.run, { name: 'tenants', workers: 1 });
    api = new Api(cluster.api.baseUrl, suite.run);
    a = await api.createProgram('Tenant A');
    b = await api.createProgram('Tenant B');
    await api.connectSmtp(a, sink.port, password);
    // B has a server of its own too, so that sender routes answer from B's side, not "not connected".
    await api.connectSmtp(b, sink.port, passwordOfB, {
      username: 'mailer-b',
      fromAddress: 'hello@b-brand.test',
    });
    suite.run.secrets.add('sender password', senderPassword);
    expect(
      (
        await api.put('/v1/integrations/smtp/senders/ana', a.secretKey, {
          email: 'ana@acme.test',
          password: senderPassword,
          saveToSent: 'off',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api.put('/v1/integrations/sender-domain', a.secretKey, {
          domain: 'a-brand.test',
          fromAddress: 'news@a-brand.test',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api.put('/v1/participants/pa-1', a.secretKey, {
          email: 'pa1@example.com',
          firstName: 'Pia',
          lastName: 'Alpha',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api.put('/v1/templates/welcome/en', a.secretKey, {
          subject: 'Only-for-A {{default participant.firstName "there"}}',
          html: '<p>Only-for-A</p>',
        })
      ).status,
    ).toBe(201);
    const rule = await api.post('/v1/rules', a.secretKey, {
      name: 'Welcome and reward',
      event: 'signup',
      actions: [
        { type: 'email', template: 'welcome', to: 'participant', sender: 'ana' },
        {
          type: 'reward',
          to: 'participant',
          kind: 'cash',
          amount: 10,
          currency: 'USD',
          email: false,
        },
      ],
    });
    expect(rule.status).toBe(201);
    ids.rule = rule.body.id;
    const event = await api.post('/v1/events', a.secretKey, {
      type: 'signup',
      participant: { id: 'pa-1' },
    });
    ids.event = event.body.id;
    const processed = await waitFor(
      'A’s event processed',
      async () => {
        const e = await api.get(`/v1/events/${ids.event}`, a.secretKey);
        return e.body.status === 'processed' && e.body;
      },
      30_000,
    );
    const actions = processed.results[0].actions as Array<{
      messageId?: string;
      rewardId?: string;
    }>;
    ids.message = actions.find((x) => x.messageId)?.messageId ?? '';
    ids.reward = actions.find((x) => x.rewardId)?.rewardId ?? '';
    await waitFor(
      'A’s email sent',
      async () =>
        (await api.get(`/v1/messages/${ids.message}`, a.secretKey)).body.status === 'sent',
      30_000,
    );
    expect(
      (await api.put('/v1/suppressions/held@a-brand.test', a.secretKey, { note: 'Only A' })).status,
    ).toBe(201);
    ops = operations((await api.get('/docs-json')).body as OpenApiDocument).filter(
      (op) => op.auth !== 'none',
    );
    // What A sees of its own objects before B tries anything.
    for (const op of ops.filter((o) => o.method === 'GET')) {
      const res = await api.get(aPaths(op), a.secretKey);
      if (res.status === 200) snapshot.set(op.path, stable(res.text));
    }
  });
  afterAll(async () => {
    await cluster?.stop();
    await sink?.stop();
  });

  it('answers 404 to every route with another program’s ids, and shows it nothing of the other program', async () => {
    const problems: string[] = [];
    const outcomes = new Map<string, number>();
    const note = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    // An id the caller sent may come back in "... was not found"; anything else of A's may not.
    const leaks = (res: ApiResponse, sent: string) =>
      secretsOfA().filter((s) => s && res.text.includes(s) && !sent.includes(s));

    // Upserts last: they create B's own objects under A's ids, which lookups would then find.
    const secretOps = ops.filter((o) => o.auth === 'secret');
    const upserts = secretOps.filter((o) => UPSERTS.has(`${o.method} ${o.path}`));
    const callWithIdsOfA = async (op: Operation) => {
      const label = `${op.method} ${op.path}`;
      const body = op.body?.contentType === 'application/json' ? (BODIES[label] ?? {}) : undefined;
      const raw = op.body && op.body.contentType !== 'application/json' ? 'id,email\n' : undefined;
      const res = await api.call(op.method, aPaths(op), {
        key: b.secretKey,
        body,
        raw,
        contentType: op.body?.contentType,
      });
      const leaked = leaks(res, aPaths(op) + JSON.stringify(body ?? ''));
      if (leaked.length) problems.push(`${label}: B sees ${leaked.join(', ')}`);
      if (op.pathParams.length === 0) {
        note(`no id: ${res.status}`);
        return;
      }
      if (UPSERTS.has(label)) {
        note(`upsert: ${res.status}`);
        // A new object in B's own namespace (201), never "updated" (200): that would say A's exists.
        if (res.status === 200) problems.push(`${label}: 200 to B for A's id`);
        return;
      }
      if (label === 'DELETE /v1/templates/{key}/{locale}') {
        // B removes its own override, if any: the same answer as for a key nobody has.
        const never = await api.call('DELETE', '/v1/templates/never-used-key/en', {
          key: b.secretKey,
        });
        note(`template delete: ${res.status}`);
        if (res.status !== never.status)
          problems.push(
            `${label}: ${res.status} for A's key, ${never.status} for a key nobody has`,
          );
        return;
      }
      note(`${res.status} ${res.body?.code}`);
      if (res.status !== 404) problems.push(`${label}: ${res.status} ${res.text.slice(0, 120)}`);
    };
    // Lookups by id first: the routes without one include B disconnecting its own server.
    const lookups = secretOps.filter((o) => !upserts.includes(o));
    for (const op of [
      ...lookups.filter((o) => o.pathParams.length),
      ...lookups.filter((o) => !o.pathParams.length),
    ])
      await callWithIdsOfA(op);

    // Ids carried in bodies and query strings.
    const carried: Array<[string, string, unknown, (r: ApiResponse) => boolean]> = [
      ['POST', '/v1/templates/welcome/preview', { participantId: 'pa-1' }, (r) => r.status === 404],
      [
        'POST',
        '/v1/templates/welcome/test',
        { to: 'b-admin@example.com', participantId: 'pa-1' },
        (r) => r.status === 404,
      ],
      [
        'POST',
        '/v1/events',
        { type: 'signup', participant: { id: 'pa-1' } },
        (r) => r.status === 400 && r.body.code === 'PARTICIPANT_EMAIL_REQUIRED',
      ],
      [
        'POST',
        '/v1/rules/simulate',
        { event: { type: 'signup', participant: { id: 'pa-1' } } },
        (r) => r.status < 500,
      ],
      [
        'POST',
        '/v1/rules',
        {
          name: 'x',
          event: 'signup',
          actions: [{ type: 'email', template: 'welcome', to: 'participant', sender: 'ana' }],
        },
        (r) => r.status === 400,
      ],
      [
        'GET',
        '/v1/rewards?participantId=pa-1',
        undefined,
        (r) => r.status === 200 && r.body.items.length === 0,
      ],
      [
        'GET',
        '/v1/messages?to=pa1%40example.com',
        undefined,
        (r) => r.status === 200 && r.body.items.length === 0,
      ],
      ['GET', `/v1/messages?cursor=${ids.message}`, undefined, (r) => r.status < 500],
      ['GET', '/v1/rules?event=signup', undefined, (r) => r.status === 200],
      ['GET', '/v1/participants/pa-1/tax-summary?year=2026', undefined, (r) => r.status === 404],
    ];
    for (const [method, path, body, ok] of carried) {
      const res = await api.call(method, path, { key: b.secretKey, body });
      note(`carried: ${res.status}`);
      if (!ok(res)) problems.push(`${method} ${path}: ${res.status} ${res.text.slice(0, 160)}`);
      const leaked = leaks(res, path + JSON.stringify(body ?? ''));
      if (leaked.length) problems.push(`${method} ${path}: B sees ${leaked.join(', ')}`);
    }

    // A publishable key of B naming A's participant: the same 202, and nothing sent or stored for A.
    const tokensBefore = await suite.db.count(
      'SELECT count(*) AS n FROM participant_tokens WHERE "programId" = $1',
      [a.id],
    );
    const received = sink.received.length;
    for (const path of ['/v1/public/verification', '/v1/public/password-reset']) {
      const res = await api.post(path, b.publishableKey, { email: 'pa1@example.com' });
      if (res.status !== 202) problems.push(`${path} with B's publishable key: ${res.status}`);
    }
    const session = await api.post('/v1/public/sessions', b.publishableKey, {
      email: 'pa1@example.com',
      password: 'whatever-123',
    });
    if (session.status !== 401)
      problems.push(`sessions with B's key for A's participant: ${session.status}`);
    await new Promise((r) => setTimeout(r, 1500));
    const tokensAfter = await suite.db.count(
      'SELECT count(*) AS n FROM participant_tokens WHERE "programId" = $1',
      [a.id],
    );
    if (tokensAfter !== tokensBefore)
      problems.push(`tokens issued for A's participant through B: ${tokensAfter - tokensBefore}`);
    if (sink.received.length !== received) problems.push('A’s SMTP server got mail through B');

    for (const op of upserts) await callWithIdsOfA(op);

    // A's objects are as they were.
    let unchanged = 0;
    for (const [path, before] of snapshot) {
      const op = ops.find((o) => o.path === path && o.method === 'GET');
      const now = op ? await api.get(aPaths(op), a.secretKey) : undefined;
      if (now && stable(now.text) === before) unchanged++;
      else problems.push(`A's ${path} changed: ${now?.text.slice(0, 160)}`);
    }

    suite.run.report.line(
      '7 tenant isolation (ids)',
      `${ops.filter((o) => o.auth === 'secret').length} secret routes called with program B's key and A's ids, plus ${carried.length} ids in bodies and queries and 3 public calls naming A's participant: ` +
        `${[...outcomes]
          .sort()
          .map(([k, n]) => `${k}×${n}`)
          .join(', ')}; A's ${unchanged} objects unchanged; problems ${problems.length}`,
    );
    expect(problems).toEqual([]);
  });

  it('answers 403 to a publishable key on every secret route and a secret key on every public one, 401 without a key', async () => {
    const problems: string[] = [];
    const counts = { publishable: 0, secret: 0, none: 0, operator: 0 };
    for (const op of ops) {
      const label = `${op.method} ${op.path}`;
      const path = aPaths(op);
      const body = op.body?.contentType === 'application/json' ? {} : undefined;
      if (op.auth === 'secret') {
        const res = await api.call(op.method, path, { key: a.publishableKey, body });
        counts.publishable++;
        if (res.status !== 403 || res.body?.code !== 'PUBLISHABLE_KEY_NOT_ALLOWED')
          problems.push(`${label} with pk: ${res.status} ${res.body?.code}`);
      }
      if (op.auth === 'publishable') {
        const res = await api.call(op.method, path, { key: a.secretKey, body });
        counts.secret++;
        if (res.status !== 403 || res.body?.code !== 'SECRET_KEY_NOT_ALLOWED')
          problems.push(`${label} with sk: ${res.status} ${res.body?.code}`);
      }
      if (op.auth === 'operator') {
        for (const key of [a.secretKey, a.publishableKey]) {
          const res = await api.call(op.method, path, {
            key,
            body: op.method === 'GET' ? undefined : { name: 'Not allowed' },
          });
          counts.operator++;
          if (res.status !== 401) problems.push(`${label} with a program key: ${res.status}`);
        }
      }
      const anonymous = await api.call(op.method, path, { body });
      counts.none++;
      if (anonymous.status !== 401 || anonymous.body?.code !== 'API_KEY_MISSING')
        problems.push(`${label} without a key: ${anonymous.status} ${anonymous.body?.code}`);
    }
    suite.run.report.line(
      '7 tenant isolation (keys)',
      `publishable key on ${counts.publishable} secret routes → 403 PUBLISHABLE_KEY_NOT_ALLOWED; secret key on ${counts.secret} public routes → 403 SECRET_KEY_NOT_ALLOWED; ` +
        `program keys on the operator route ${counts.operator} × 401; no key on ${counts.none} routes → 401; problems ${problems.length}`,
    );
    expect(problems).toEqual([]);
  });
}

// Answers that differ only in when they were read are the same answer.
function stable(text: string): string {
  return text.replace(/"(nextRetryAt|now|checkedAt)":"[^"]*"/g, '');
}
