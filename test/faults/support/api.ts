import type { FaultRun } from './run';

export interface ApiResponse {
  status: number;
  body: any;
  text: string;
  headers: Headers;
  ms: number;
}

export interface CallOptions {
  key?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (malformed JSON, CSV, ...), with `contentType`. */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** The answer shows a program's keys once, on purpose. */
  showsKeys?: boolean;
  timeoutMs?: number;
}

export interface ProgramKeys {
  id: string;
  secretKey: string;
  publishableKey: string;
}

/** HTTP calls to one service process; every answer is kept for the secrets check. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly run: FaultRun,
  ) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (options.raw !== undefined) {
      body = typeof options.raw === 'string' ? options.raw : Uint8Array.from(options.raw);
      headers['content-type'] = options.contentType ?? 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const started = Date.now();
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text
    }
    this.run.responses.add({
      method,
      path,
      status: res.status,
      text,
      showsKeys: options.showsKeys ?? false,
      cacheControl: res.headers.get('cache-control'),
    });
    return {
      status: res.status,
      body: parsed,
      text,
      headers: res.headers,
      ms: Date.now() - started,
    };
  }

  get = (path: string, key?: string) => this.call('GET', path, { key });
  post = (path: string, key: string | undefined, body?: unknown) =>
    this.call('POST', path, { key, body });
  put = (path: string, key: string | undefined, body?: unknown) =>
    this.call('PUT', path, { key, body });

  /** A program, its keys noted as secrets. */
  async createProgram(name: string, extra: Record<string, unknown> = {}): Promise<ProgramKeys> {
    const res = await this.call('POST', '/v1/programs', {
      key: this.run.adminToken,
      body: { name, ...extra },
      showsKeys: true,
    });
    if (res.status !== 201) throw new Error(`creating a program failed: ${res.status} ${res.text}`);
    const program = res.body as ProgramKeys;
    this.run.secrets.add('secret key', program.secretKey);
    this.run.secrets.add('publishable key', program.publishableKey);
    return program;
  }

  /** Connects the program to a test SMTP server over STARTTLS with a login. */
  async connectSmtp(
    program: ProgramKeys,
    port: number,
    password: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    this.run.secrets.add('SMTP password', password);
    const res = await this.put('/v1/integrations/smtp', program.secretKey, {
      host: '127.0.0.1',
      port,
      security: 'tls',
      username: 'mailer',
      password,
      fromAddress: 'rewards@acme.test',
      fromName: 'Acme Rewards',
      ...extra,
    });
    if (res.status !== 200) throw new Error(`connecting SMTP failed: ${res.status} ${res.text}`);
  }

  /** A program template `welcome` and a rule that emails it to the participant on `event`. */
  async emailRule(program: ProgramKeys, event = 'signup'): Promise<string> {
    const template = await this.put('/v1/templates/welcome/en', program.secretKey, {
      subject: 'Welcome to {{program.name}}, {{default participant.firstName "there"}}',
      html: '<p>Hi {{default participant.firstName "there"}}, thanks for joining {{program.name}}.</p>',
    });
    if (template.status !== 200 && template.status !== 201)
      throw new Error(`saving the template failed: ${template.status} ${template.text}`);
    const rule = await this.post('/v1/rules', program.secretKey, {
      name: `Welcome on ${event}`,
      event,
      actions: [{ type: 'email', template: 'welcome', to: 'participant' }],
    });
    if (rule.status !== 201)
      throw new Error(`creating the rule failed: ${rule.status} ${rule.text}`);
    return (rule.body as { id: string }).id;
  }
}

export function eventBody(
  type: string,
  id: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type,
    participant: { id, email: `${id}@example.com`, firstName: 'Ana' },
    idempotencyKey: `key-${id}`,
    ...extra,
  };
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export async function pool<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  });
  await Promise.all(runners);
  return results;
}
