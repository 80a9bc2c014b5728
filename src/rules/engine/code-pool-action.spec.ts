import { parseRuleDefinition, validateRuleDefinition } from './rule-definition';
import type { RuleValidationContext } from './rule-types';

const POOL = '8d0c7d2e-4f5a-4b1e-9a53-2f1c0e6b7a10';
const ctx: RuleValidationContext = {
  templateExists: () => false,
  codePoolExists: (id) => id === POOL,
};
const rule = (action: Record<string, unknown>) => ({
  name: 'Coupon',
  event: 'signup',
  actions: [
    { type: 'reward', to: 'participant', kind: 'discount', amount: 20, currency: 'USD', ...action },
  ],
});

describe('a reward action with codePool', () => {
  it('keeps the pool of the program on the action', () => {
    const parsed = parseRuleDefinition(rule({ codePool: POOL }), ctx);
    expect(parsed.ok && parsed.definition.actions[0]).toMatchObject({ codePool: POOL });
  });

  it.each([
    [
      'a pool the program does not have',
      { codePool: 'c4a1b6f2-0000-4000-8000-000000000000' },
      'CODE_POOL_NOT_FOUND',
    ],
    ['a pool id that is not text', { codePool: 7 }, 'INVALID_ACTION'],
    ['an empty pool id', { codePool: '' }, 'INVALID_ACTION'],
    ['a hold beside it', { codePool: POOL, hold: 'P1D' }, 'INVALID_ACTION'],
    ['approval beside it', { codePool: POOL, approval: 'manual' }, 'INVALID_ACTION'],
  ])('refuses %s at actions[0].codePool', (_name, action, code) => {
    expect(validateRuleDefinition(rule(action), ctx)).toEqual([
      expect.objectContaining({ path: 'actions[0].codePool', code }),
    ]);
  });

  it('says where pools are made and listed when the pool is unknown', () => {
    const [problem] = validateRuleDefinition(rule({ codePool: 'nope' }), ctx);
    expect(problem.message).toContain('POST /v1/code-pools');
    expect(problem.message).toContain('GET /v1/code-pools');
  });

  it('checks only the form of the id without a list of pools', () => {
    expect(
      validateRuleDefinition(rule({ codePool: 'any-id' }), { templateExists: () => false }),
    ).toEqual([]);
  });
});
