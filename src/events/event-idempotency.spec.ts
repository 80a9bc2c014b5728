import { AppError } from '../common/errors/app-error';
import { assertSameRequest, canonicalJson } from './event-idempotency';
import type { ProgramEvent } from './event.entity';

const stored = (raw: Record<string, unknown>) =>
  ({ id: 'e-1', idempotencyKey: 'order-1', raw }) as unknown as ProgramEvent;

describe('canonicalJson', () => {
  it.each([
    [
      { b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } },
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    ],
    [{ a: undefined, b: 'x' }, '{"b":"x"}'],
    [[undefined, 1], '[null,1]'],
    ['text', '"text"'],
  ])('writes %j as %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });
});

describe('assertSameRequest', () => {
  const body = {
    type: 'purchase',
    participant: { id: 'friend-1', email: 'friend@example.com' },
    data: { amount: 80 },
  };

  it('accepts the same body in another key order, with the key in the body or the header', () => {
    const first = stored({ ...body, idempotencyKey: 'order-1' });
    expect(() =>
      assertSameRequest(first, {
        data: { amount: 80 },
        participant: { email: 'friend@example.com', id: 'friend-1' },
        type: 'purchase',
      }),
    ).not.toThrow();
    expect(() => assertSameRequest(first, { ...body, idempotencyKey: 'order-1' })).not.toThrow();
  });

  it('refuses a different body with 409 IDEMPOTENCY_KEY_REUSED naming each field that differs', () => {
    const first = stored({ ...body, idempotencyKey: 'order-1' });
    let error: AppError | undefined;
    try {
      assertSameRequest(first, {
        ...body,
        data: { amount: 90 },
        referrer: { id: 'ana' },
      });
    } catch (err) {
      error = err as AppError;
    }
    expect(error?.getStatus()).toBe(409);
    expect(error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(error?.details?.map((d) => d.field)).toEqual(['data.amount', 'referrer']);
    expect(error?.message).toContain('e-1');
  });
});
