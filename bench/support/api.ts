import { Agent, request as httpRequest } from 'node:http';

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${method} ${path} answered ${status}: ${JSON.stringify(body)}`);
  }
}

// Keep-alive with room for the pipeline's concurrent posts; load only ever goes to 127.0.0.1.
const agent = new Agent({ keepAlive: true, maxSockets: 128 });

function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  payload?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A small JSON client for the service's HTTP API with one bearer key. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  withKey(key: string): ApiClient {
    return new ApiClient(this.baseUrl, key);
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const all: Record<string, string> = { Authorization: `Bearer ${this.key}`, ...headers };
    if (payload !== undefined) {
      all['Content-Type'] = 'application/json';
      all['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const res = await send(this.baseUrl + path, method, all, payload);
    const text = res.text;
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the error message
    }
    return { status: res.status, body: parsed as T };
  }

  /** Like request, but any status outside `ok` throws with the answer. */
  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    ok: number[] = [200, 201, 202, 204],
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await this.request<T>(method, path, body, headers);
    if (!ok.includes(res.status)) throw new ApiError(method, path, res.status, res.body);
    return res.body;
  }
}

export interface CreatedProgram {
  id: string;
  secretKey: string;
  publishableKey: string;
}

export async function createProgram(
  baseUrl: string,
  adminToken: string,
  body: Record<string, unknown> = {},
): Promise<{ program: CreatedProgram; api: ApiClient }> {
  const admin = new ApiClient(baseUrl, adminToken);
  const program = await admin.call<CreatedProgram>(
    'POST',
    '/v1/programs',
    { name: 'Bench program', ...body },
    [201],
  );
  return { program, api: admin.withKey(program.secretKey) };
}

/** The event body of API.md; every call gets its own idempotency key from the caller. */
export function eventBody(
  type: string,
  participantId: string,
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type,
    participant: { id: participantId, email: `${participantId}@bench.example`, firstName: 'Bench' },
    data,
  };
}

export function closeClients(): void {
  agent.destroy();
}
