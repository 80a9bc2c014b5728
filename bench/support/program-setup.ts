import { ApiError, type ApiClient } from './api';
import { sleep } from './stats';

/** A program's own template, small and realistic; every variable is one an own key's emails have. */
export const BENCH_TEMPLATE = {
  key: 'bench-notice',
  locale: 'en',
  subject: 'Thanks for your activity at {{program.name}}',
  html: '<p>Hi {{default participant.firstName "there"}},</p><p>We saw your {{event.type}} and wanted to say thanks.</p><p>The {{program.name}} team</p>',
  text: 'Hi {{default participant.firstName "there"}},\n\nWe saw your {{event.type}} and wanted to say thanks.\n\nThe {{program.name}} team',
};

/**
 * Creates the bench's own template; when the program cannot take it, falls back to the
 * `reward-earned` default and says so.
 */
export async function ensureTemplate(api: ApiClient): Promise<{ key: string; note: string }> {
  const { key, locale, subject, html, text } = BENCH_TEMPLATE;
  const res = await api.request('PUT', `/v1/templates/${key}/${locale}`, { subject, html, text });
  if (res.status === 200 || res.status === 201)
    return { key, note: `the program's own template \`${key}\`` };
  return {
    key: 'reward-earned',
    note: `the default \`reward-earned\` template (PUT /v1/templates/${key}/${locale} answered ${res.status}: ${JSON.stringify(res.body)})`,
  };
}

/** Connects the program to a plaintext SMTP server on 127.0.0.1 (security none, no login). */
export async function connectSmtp(api: ApiClient, port: number): Promise<void> {
  await api.call(
    'PUT',
    '/v1/integrations/smtp',
    {
      host: '127.0.0.1',
      port,
      security: 'none',
      fromAddress: 'rewards@bench.example',
      fromName: 'Bench Rewards',
    },
    [200, 201],
  );
}

export function emailRule(name: string, event: string, template: string): Record<string, unknown> {
  return { name, event, actions: [{ type: 'email', template, to: 'participant' }] };
}

export interface EventStatus {
  id: string;
  /** queued, processed or failed. */
  status: string;
  [k: string]: unknown;
}

/** Polls GET /v1/events/:id until the event is no longer queued. */
export async function waitProcessed(
  api: ApiClient,
  id: string,
  timeoutMs = 30_000,
  everyMs = 2,
): Promise<EventStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const event = await api.call<EventStatus>('GET', `/v1/events/${id}`);
    if (event.status !== 'queued') return event;
    if (Date.now() > until)
      throw new Error(`event ${id} still ${event.status} after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export async function postEvent(
  api: ApiClient,
  body: Record<string, unknown>,
  idempotencyKey: string,
): Promise<EventStatus> {
  const res = await api.request<EventStatus>('POST', '/v1/events', body, {
    'Idempotency-Key': idempotencyKey,
  });
  if (res.status !== 202 && res.status !== 200 && res.status !== 201)
    throw new ApiError('POST', '/v1/events', res.status, res.body);
  return res.body;
}
