import type { LeafCondition, RuleAction, RuleConditions } from './rule-types';
import { RuleEvaluator, type EvaluableRule, type RuleFacts } from './rule-evaluator';

const reward: RuleAction = {
  type: 'reward',
  to: 'referrer',
  kind: 'cash',
  amount: 25,
  currency: 'USD',
};
const email: RuleAction = { type: 'email', template: 'reward-earned', to: 'participant' };

const facts: RuleFacts = {
  event: {
    amount: 30,
    sku: 'REF-123',
    tags: ['vip', 'first'],
    items: [{ sku: 'A1', qty: 2 }],
    'first name': 'Ana',
  },
  participant: {
    id: 'p1',
    email: 'ana@acme.com',
    country: 'CA',
    address: { country: 'CA' },
    verified: true,
  },
  referrer: { id: 'r1', email: 'bo@example.org', country: 'US' },
  program: { id: 'prog1', defaultLocale: 'en' },
};

let seq = 0;
function rule(conditions: unknown, over: Partial<EvaluableRule> = {}): EvaluableRule {
  seq++;
  return {
    id: `rule-${seq}`,
    version: 1,
    priority: 0,
    conditions: conditions as RuleConditions,
    actions: [reward],
    ...over,
  };
}
const all = (...c: unknown[]) => ({ all: c }) as RuleConditions;
const cond = (fact: string, path: string | undefined, operator: string, value: unknown) =>
  ({ fact, path, operator, value }) as LeafCondition;

describe(RuleEvaluator.name, () => {
  let evaluator: RuleEvaluator;
  beforeEach(() => {
    evaluator = new RuleEvaluator();
  });

  async function matches(conditions: unknown, f: RuleFacts = facts): Promise<boolean> {
    const [result] = await evaluator.evaluate([rule(conditions)], f);
    return result.matched;
  }

  describe('operators', () => {
    it.each([
      ['equal', '$.country', 'CA', true],
      ['equal', '$.country', 'US', false],
      ['equal', '$.verified', true, true],
      ['notEqual', '$.country', 'US', true],
      ['notEqual', '$.country', 'CA', false],
      ['in', '$.country', ['US', 'CA'], true],
      ['in', '$.country', ['US', 'MX'], false],
      ['notIn', '$.country', ['US', 'MX'], true],
      ['notIn', '$.country', ['CA'], false],
      ['startsWith', '$.email', 'ana@', true],
      ['startsWith', '$.email', 'bo@', false],
      ['endsWith', '$.email', '@acme.com', true],
      ['endsWith', '$.email', '@ACME.com', false],
      ['exists', '$.address.country', true, true],
      ['exists', '$.phone', true, false],
      ['exists', '$.phone', false, true],
    ])('answers participant %s %s %p with %p', async (operator, path, value, expected) => {
      expect(await matches(all(cond('participant', path, operator, value)))).toBe(expected);
    });

    it.each([
      ['lessThan', 31, true],
      ['lessThan', 30, false],
      ['lessThanInclusive', 30, true],
      ['lessThanInclusive', 29, false],
      ['greaterThan', 29, true],
      ['greaterThan', 30, false],
      ['greaterThanInclusive', 30, true],
      ['greaterThanInclusive', 50, false],
    ])('answers event amount (30) %s %p with %p', async (operator, value, expected) => {
      expect(await matches(all(cond('event', '$.amount', operator, value)))).toBe(expected);
    });

    it.each([
      ['contains', 'vip', true],
      ['contains', 'gold', false],
      ['doesNotContain', 'gold', true],
      ['doesNotContain', 'vip', false],
    ])('answers event tags (["vip","first"]) %s %p with %p', async (operator, value, expected) => {
      expect(await matches(all(cond('event', '$.tags', operator, value)))).toBe(expected);
    });

    it.each([
      ['startsWith', 'REF'],
      ['endsWith', '1'],
      ['contains', 3],
      ['greaterThan', 1],
    ])('answers %s with false when the fact has the wrong type', async (operator, value) => {
      expect(await matches(all(cond('event', '$.items', operator, value)))).toBe(false);
    });

    it('answers in and notIn with false rather than throwing when the value is not a list', async () => {
      expect(await matches(all(cond('participant', '$.country', 'in', 'CA')))).toBe(false);
      expect(await matches(all(cond('participant', '$.country', 'notIn', 'US')))).toBe(false);
    });
  });

  describe('paths', () => {
    it.each([
      ['$.items[0].sku', 'A1'],
      ['items.0.sku', 'A1'],
      ["$['first name']", 'Ana'],
      ['amount', 30],
    ])('reads event %s', async (path, value) => {
      expect(await matches(all(cond('event', path, 'equal', value)))).toBe(true);
    });

    it('reads the whole fact when there is no path', async () => {
      expect(await matches(all(cond('referrer', undefined, 'exists', true)))).toBe(true);
    });

    it('does not read inherited properties', async () => {
      const [result] = await evaluator.evaluate(
        [rule(all(cond('event', '$.toString', 'exists', true)))],
        facts,
      );
      expect(result.matched).toBe(false);
      expect(result.failedConditions[0]).toMatchObject({ actual: null, missing: true });
    });
  });

  describe('nested blocks', () => {
    const amountAtLeast = (n: number) => cond('event', '$.amount', 'greaterThanInclusive', n);
    const countryIs = (c: string) => cond('participant', '$.country', 'equal', c);

    it.each([
      ['all of true conditions', all(amountAtLeast(10), countryIs('CA')), true],
      ['all with one false condition', all(amountAtLeast(10), countryIs('US')), false],
      ['any with one true condition', { any: [amountAtLeast(50), countryIs('CA')] }, true],
      ['any of false conditions', { any: [amountAtLeast(50), countryIs('US')] }, false],
      ['not of a false condition', { not: countryIs('US') }, true],
      ['not of a true condition', { not: countryIs('CA') }, false],
      ['all inside any', { any: [all(amountAtLeast(10), countryIs('CA')), countryIs('US')] }, true],
      [
        'any inside all',
        all(amountAtLeast(10), { any: [countryIs('US'), countryIs('MX')] }),
        false,
      ],
      [
        'not inside all',
        all(amountAtLeast(10), { not: { any: [countryIs('US'), countryIs('MX')] } }),
        true,
      ],
      ['not of not', { not: { not: countryIs('CA') } }, true],
    ])('evaluates %s', async (_label, conditions, expected) => {
      expect(await matches(conditions)).toBe(expected);
    });
  });

  describe('failed conditions', () => {
    it('reports data.amount >= 50 failing with actual 30', async () => {
      const [result] = await evaluator.evaluate(
        [rule(all(cond('event', '$.amount', 'greaterThanInclusive', 50)))],
        facts,
      );
      expect(result).toMatchObject({ matched: false, actions: [] });
      expect(result.failedConditions).toEqual([
        {
          conditionPath: 'conditions.all[0]',
          fact: 'event',
          path: '$.amount',
          operator: 'greaterThanInclusive',
          expected: 50,
          actual: 30,
          missing: false,
          negated: false,
        },
      ]);
    });

    it('reports participant.country == "US" failing with actual "CA" and only the failed condition', async () => {
      const [result] = await evaluator.evaluate(
        [
          rule(
            all(
              cond('event', 'amount', 'greaterThan', 10),
              cond('participant', 'country', 'equal', 'US'),
            ),
          ),
        ],
        facts,
      );
      expect(result.failedConditions).toEqual([
        expect.objectContaining({
          conditionPath: 'conditions.all[1]',
          fact: 'participant',
          path: '$.country',
          operator: 'equal',
          expected: 'US',
          actual: 'CA',
        }),
      ]);
    });

    it('reports every failed branch of an any block', async () => {
      const [result] = await evaluator.evaluate(
        [
          rule(
            all(cond('event', '$.amount', 'greaterThan', 1), {
              any: [
                cond('participant', '$.country', 'equal', 'US'),
                all(cond('event', '$.sku', 'startsWith', 'X')),
              ],
            }),
          ),
        ],
        facts,
      );
      expect(result.failedConditions.map((f) => [f.conditionPath, f.actual])).toEqual([
        ['conditions.all[1].any[0]', 'CA'],
        ['conditions.all[1].any[1].all[0]', 'REF-123'],
      ]);
    });

    it('reports the conditions that matched inside a failed not as negated', async () => {
      const [result] = await evaluator.evaluate(
        [rule({ not: cond('participant', '$.country', 'equal', 'CA') })],
        facts,
      );
      expect(result.failedConditions).toEqual([
        expect.objectContaining({ conditionPath: 'conditions.not', actual: 'CA', negated: true }),
      ]);
    });

    it('reports a missing path as null with missing: true', async () => {
      const [result] = await evaluator.evaluate(
        [rule(all(cond('event', '$.coupon', 'equal', 'SPRING')))],
        facts,
      );
      expect(result.failedConditions).toEqual([
        expect.objectContaining({
          path: '$.coupon',
          expected: 'SPRING',
          actual: null,
          missing: true,
        }),
      ]);
    });

    it('reports a present null as null without missing', async () => {
      const [result] = await evaluator.evaluate(
        [rule(all(cond('event', '$.coupon', 'equal', 'SPRING')))],
        { ...facts, event: { coupon: null } },
      );
      expect(result.failedConditions[0]).toMatchObject({ actual: null, missing: false });
    });
  });

  describe('missing referrer', () => {
    const noReferrer: RuleFacts = { ...facts, referrer: null };

    it('reports a referrer condition as failed with missing: true instead of throwing', async () => {
      const [result] = await evaluator.evaluate(
        [rule(all(cond('referrer', '$.country', 'equal', 'US')))],
        noReferrer,
      );
      expect(result.matched).toBe(false);
      expect(result.failedConditions).toEqual([
        expect.objectContaining({
          fact: 'referrer',
          path: '$.country',
          actual: null,
          missing: true,
        }),
      ]);
    });

    it.each([
      ['null', { ...facts, referrer: null }],
      ['absent', { event: facts.event, participant: facts.participant, program: facts.program }],
    ])('matches referrer exists false when the referrer is %s', async (_label, f) => {
      expect(await matches(all(cond('referrer', undefined, 'exists', false)), f)).toBe(true);
      expect(await matches(all(cond('referrer', undefined, 'exists', true)), f)).toBe(false);
    });
  });

  describe('rules without conditions', () => {
    it.each([
      ['undefined', undefined],
      ['null', null],
      ['an empty root all', { all: [] }],
    ])('matches a rule whose conditions are %s', async (_label, conditions) => {
      const [result] = await evaluator.evaluate([rule(conditions)], facts);
      expect(result).toMatchObject({ matched: true, actions: [reward], failedConditions: [] });
    });
  });

  describe('results', () => {
    it('returns results highest priority first, in input order among equals', async () => {
      const rules = [
        rule(undefined, { id: 'low', priority: -1 }),
        rule(all(cond('event', '$.amount', 'equal', 30)), { id: 'mid-a', priority: 5 }),
        rule(all(cond('event', '$.amount', 'equal', 31)), { id: 'high', priority: 10 }),
        rule(undefined, { id: 'mid-b', priority: 5 }),
        rule(all(cond('event', '$.amount', 'equal', 30)), { id: 'zero' }),
      ];
      const results = await evaluator.evaluate(rules, facts);
      expect(results.map((r) => [r.ruleId, r.priority, r.matched])).toEqual([
        ['high', 10, false],
        ['mid-a', 5, true],
        ['mid-b', 5, true],
        ['zero', 0, true],
        ['low', -1, true],
      ]);
    });

    it('returns the rule id, version and actions of a matched rule', async () => {
      const [result] = await evaluator.evaluate(
        [
          rule(all(cond('event', '$.amount', 'equal', 30)), {
            id: 'r',
            version: 7,
            actions: [reward, email],
          }),
        ],
        facts,
      );
      expect(result).toEqual({
        ruleId: 'r',
        ruleVersion: 7,
        priority: 0,
        matched: true,
        actions: [reward, email],
        failedConditions: [],
      });
    });

    it('reports stored conditions that cannot be evaluated on that rule and evaluates the others', async () => {
      const results = await evaluator.evaluate(
        [
          rule(all(cond('customer', '$.x', 'equal', 1)), { id: 'broken' }),
          rule(all(cond('event', '$.amount', 'equal', 30)), { id: 'fine' }),
        ],
        facts,
      );
      expect(results[0]).toMatchObject({
        ruleId: 'broken',
        matched: false,
        actions: [],
        error: {
          code: 'INVALID_CONDITIONS',
          message: expect.stringContaining('Unknown fact "customer"'),
        },
      });
      expect(results[1]).toMatchObject({ ruleId: 'fine', matched: true });
    });

    it('returns nothing for no rules', async () => {
      expect(await evaluator.evaluate([], facts)).toEqual([]);
    });
  });

  describe('engine cache', () => {
    const a = rule(all(cond('event', '$.amount', 'equal', 30)), { id: 'a' });
    const b = rule(all(cond('participant', '$.country', 'equal', 'CA')), { id: 'b' });

    it('reuses the engine for the same rule versions, in any order', async () => {
      await evaluator.evaluate([a, b], facts);
      await evaluator.evaluate([b, a], { ...facts, event: { amount: 1 } });
      expect(evaluator.cacheStats()).toEqual({ engines: 1, hits: 1, misses: 1 });
    });

    it('evaluates each event on its own facts when the engine is reused', async () => {
      const first = await evaluator.evaluate([a], facts);
      const second = await evaluator.evaluate([a], { ...facts, event: { amount: 31 } });
      expect(first[0].matched).toBe(true);
      expect(second[0].failedConditions[0]).toMatchObject({ actual: 31 });
    });

    it('builds a new engine when a rule version changes', async () => {
      await evaluator.evaluate([a, b], facts);
      const edited = { ...a, version: 2, conditions: all(cond('event', '$.amount', 'equal', 31)) };
      const [result] = await evaluator.evaluate([edited, b], facts);
      expect(result.matched).toBe(false);
      expect(evaluator.cacheStats()).toMatchObject({ engines: 2, misses: 2, hits: 0 });
    });

    it('takes actions and priority from the rules given, not from the cached engine', async () => {
      await evaluator.evaluate([a], facts);
      const [result] = await evaluator.evaluate([{ ...a, actions: [email], priority: 3 }], facts);
      expect(result).toMatchObject({ matched: true, actions: [email], priority: 3 });
      expect(evaluator.cacheStats().hits).toBe(1);
    });

    it('drops the least recently used engine beyond the limit', async () => {
      const small = new RuleEvaluator({ maxCachedEngines: 1 });
      await small.evaluate([a], facts);
      await small.evaluate([b], facts);
      await small.evaluate([a], facts);
      expect(small.cacheStats()).toEqual({ engines: 1, hits: 0, misses: 3 });
    });

    it('needs no engine when no rule has conditions', async () => {
      await evaluator.evaluate([rule(undefined)], facts);
      expect(evaluator.cacheStats()).toEqual({ engines: 0, hits: 0, misses: 0 });
    });

    it('returns complete results for concurrent evaluations on one cached engine', async () => {
      const rules = Array.from({ length: 20 }, (_, i) =>
        rule(all(cond('event', '$.amount', 'greaterThanInclusive', i)), { id: `c${i}` }),
      );
      // Staggered starts: json-rules-engine keeps one status per engine, and a run that ends
      // while another is under way makes the other skip its rules unless runs are queued.
      const later = async (n: number) => {
        for (let i = 0; i < n; i++) await Promise.resolve();
        return evaluator.evaluate(rules, { ...facts, event: { amount: n } });
      };
      const runs = await Promise.all(Array.from({ length: 60 }, (_, n) => later(n)));
      runs.forEach((results, n) => {
        expect(results).toHaveLength(20);
        expect(results.filter((r) => r.matched)).toHaveLength(Math.min(n + 1, 20));
      });
      expect(evaluator.cacheStats()).toMatchObject({ engines: 1, misses: 1, hits: 59 });
    });
  });
});
