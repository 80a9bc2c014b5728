import { EMAIL_TYPE_KEYS, RULE_EMAIL_KEYS, sentOnlyBy } from '../../templates/renderer/email-types';
import { normalizeFactPath } from './fact-paths';
import { parseConditions, parseRuleDefinition, validateRuleDefinition } from './rule-definition';
import {
  BUILT_IN_OPERATORS,
  RULE_LIMITS,
  RULE_OPERATORS,
  type RuleValidationContext,
} from './rule-types';

const programTemplates = ['welcome-referrer', 'friend-joined'];
const ctx: RuleValidationContext = {
  templateExists: (key) => programTemplates.includes(key),
  listTemplates: () => programTemplates,
  senderExists: (id) => id === 'ana',
};

const leaf = (over: Record<string, unknown> = {}) => ({
  fact: 'event',
  path: 'amount',
  operator: 'greaterThanInclusive',
  value: 50,
  ...over,
});
const emailAction = { type: 'email', template: 'welcome-referrer', to: 'referrer' };
const rewardAction = { type: 'reward', to: 'referrer', kind: 'cash', amount: 25, currency: 'USD' };
const rule = (over: Record<string, unknown> = {}) => ({
  name: 'Referrer bonus',
  event: 'purchase',
  conditions: { all: [leaf()] },
  actions: [rewardAction],
  ...over,
});
const withCondition = (condition: unknown) => rule({ conditions: { all: [leaf(), condition] } });
const problemsOf = (def: unknown) => validateRuleDefinition(def, ctx);

describe('validateRuleDefinition', () => {
  it('accepts a complete rule and returns it normalised with defaults', () => {
    const result = parseRuleDefinition(
      rule({
        conditions: {
          all: [
            leaf(),
            {
              any: [
                {
                  fact: 'participant',
                  path: 'address.country',
                  operator: 'in',
                  value: ['US', 'CA'],
                },
              ],
            },
            { not: { fact: 'referrer', operator: 'exists', value: false } },
          ],
        },
        actions: [emailAction, { ...rewardAction, email: true }],
      }),
      ctx,
    );
    expect(result).toEqual({
      ok: true,
      problems: [],
      definition: {
        name: 'Referrer bonus',
        event: 'purchase',
        enabled: true,
        priority: 0,
        conditions: {
          all: [
            { fact: 'event', path: '$.amount', operator: 'greaterThanInclusive', value: 50 },
            {
              any: [
                {
                  fact: 'participant',
                  path: '$.address.country',
                  operator: 'in',
                  value: ['US', 'CA'],
                },
              ],
            },
            { not: { fact: 'referrer', operator: 'exists', value: false } },
          ],
        },
        actions: [emailAction, { ...rewardAction, email: true, template: 'reward-earned' }],
      },
    });
  });

  it('reports no problems when conditions are left out or are an empty root "all"', () => {
    expect(problemsOf(rule({ conditions: undefined }))).toEqual([]);
    expect(problemsOf(rule({ conditions: null }))).toEqual([]);
    const parsed = parseRuleDefinition(rule({ conditions: { all: [] } }), ctx);
    expect(parsed.ok && parsed.definition.conditions).toBeUndefined();
  });

  describe('operators', () => {
    it('lists the built-in operators of json-rules-engine and the custom ones', () => {
      expect(BUILT_IN_OPERATORS).toEqual([
        'equal',
        'notEqual',
        'lessThan',
        'lessThanInclusive',
        'greaterThan',
        'greaterThanInclusive',
        'in',
        'notIn',
        'contains',
        'doesNotContain',
      ]);
      expect(RULE_OPERATORS).toEqual([...BUILT_IN_OPERATORS, 'startsWith', 'endsWith', 'exists']);
    });

    it.each([
      ['gte', 'greaterThanInclusive'],
      ['>=', 'greaterThanInclusive'],
      ['==', 'equal'],
      ['Equal', 'equal'],
      ['lt', 'lessThan'],
      ['nin', 'notIn'],
    ])(
      'reports unknown operator %p naming it, suggesting %p and listing the valid ones',
      (op, suggestion) => {
        const problems = problemsOf(withCondition(leaf({ operator: op })));
        expect(problems).toHaveLength(1);
        expect(problems[0].path).toBe('conditions.all[1].operator');
        expect(problems[0].code).toBe('UNKNOWN_OPERATOR');
        expect(problems[0].message).toContain(`Unknown operator ${JSON.stringify(op)}`);
        expect(problems[0].message).toContain(`did you mean "${suggestion}"`);
        for (const valid of RULE_OPERATORS) expect(problems[0].message).toContain(valid);
      },
    );

    it.each(['matches', 'regex', 'not:equal', 'someFact:equal', 42])(
      'reports operator %p as unknown when it is not supported',
      (op) => {
        const problems = problemsOf(withCondition(leaf({ operator: op })));
        expect(problems).toEqual([
          expect.objectContaining({ path: 'conditions.all[1].operator', code: 'UNKNOWN_OPERATOR' }),
        ]);
      },
    );

    it('reports a missing operator listing the valid ones', () => {
      const { operator: _omit, ...noOperator } = leaf();
      const problems = problemsOf(withCondition(noOperator));
      expect(problems[0]).toMatchObject({
        path: 'conditions.all[1].operator',
        code: 'UNKNOWN_OPERATOR',
      });
      expect(problems[0].message).toContain('equal, notEqual');
    });
  });

  describe('facts', () => {
    it.each([
      ['amount', '{"fact": "event", "path": "amount"}'],
      ['data.amount', '{"fact": "event", "path": "amount"}'],
      ['participant.country', '{"fact": "participant", "path": "country"}'],
      ['customer', '{"fact": "event", "path": "customer"}'],
    ])('reports unknown fact %p naming it, listing the facts and hinting %s', (fact, hint) => {
      const problems = problemsOf(withCondition(leaf({ fact })));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: 'conditions.all[1].fact', code: 'UNKNOWN_FACT' });
      expect(problems[0].message).toContain(`Unknown fact "${fact}"`);
      expect(problems[0].message).toContain('event, participant, referrer, program');
      expect(problems[0].message).toContain(hint);
    });

    it.each(['event', 'participant', 'referrer', 'program'])('accepts fact %p', (fact) => {
      expect(problemsOf(withCondition(leaf({ fact })))).toEqual([]);
    });
  });

  describe('paths', () => {
    it.each([
      ['amount', '$.amount'],
      ['$.amount', '$.amount'],
      ['address.country', '$.address.country'],
      ['$.address.country', '$.address.country'],
      ['items[0].sku', '$.items[0].sku'],
      ['items.0.sku', '$.items[0].sku'],
      ['$.items[12]', '$.items[12]'],
      ["$['first name']", "$['first name']"],
      ['$["first name"]', "$['first name']"],
      ['customFields.utm-source', "$.customFields['utm-source']"],
      ['_internal.x1', '$._internal.x1'],
      ['$', undefined],
    ])('normalises %p to %p', (input, expected) => {
      expect(normalizeFactPath(input)).toBe(expected);
    });

    it.each([
      ['$..amount', 'recursive descent'],
      ['a..b', 'recursive descent'],
      ['$.items[*]', '[*]'],
      ['$.items[?(@.price > 10)]', 'not an index'],
      ['$.items[(@.length-1)]', 'not an index'],
      ['$.items[0:2]', 'not an index'],
      ['$.items[0,1]', 'not an index'],
      ['$.items[-1]', 'not an index'],
      ['$.*', '"*" is not a plain name'],
      ['$amount', 'not expected'],
      ['first name', 'not a plain name'],
      ['__proto__.polluted', 'cannot be read'],
      ['$.constructor', 'cannot be read'],
      ["$['__proto__']", 'cannot be read'],
      ['$.items[0', 'not closed'],
      ['a.', 'empty name'],
      ['', 'empty'],
      ['a'.repeat(RULE_LIMITS.maxPathLength + 1), 'characters long'],
      [Array.from({ length: RULE_LIMITS.maxPathSegments + 1 }, () => 'a').join('.'), 'more than'],
    ])('reports path %p as not simple (%s)', (path, reason) => {
      const problems = problemsOf(withCondition(leaf({ path })));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: 'conditions.all[1].path', code: 'INVALID_PATH' });
      expect(problems[0].message).toContain(reason);
      expect(normalizeFactPath(path)).toBeNull();
    });

    it('reports a path that is not a string', () => {
      expect(problemsOf(withCondition(leaf({ path: ['amount'] })))).toEqual([
        expect.objectContaining({ path: 'conditions.all[1].path', code: 'INVALID_PATH' }),
      ]);
    });
  });

  describe('values', () => {
    it.each([
      ['equal', 'US'],
      ['equal', 30],
      ['equal', true],
      ['notEqual', null],
      ['lessThan', 10],
      ['lessThanInclusive', 10.5],
      ['greaterThan', -1],
      ['greaterThanInclusive', 0],
      ['in', ['US', 'CA']],
      ['in', []],
      ['notIn', [1, 2, null]],
      ['contains', 'vip'],
      ['doesNotContain', 3],
      ['startsWith', 'REF-'],
      ['endsWith', '@acme.com'],
      ['exists', true],
      ['exists', false],
    ])('accepts %s with value %p', (operator, value) => {
      expect(problemsOf(withCondition(leaf({ operator, value })))).toEqual([]);
    });

    it.each([
      ['equal', ['US']],
      ['equal', { fact: 'program', path: 'x' }],
      ['greaterThan', '50'],
      ['lessThan', null],
      ['in', 'US,CA'],
      ['notIn', [['US']]],
      ['contains', ['a']],
      ['startsWith', ''],
      ['endsWith', 5],
      ['exists', 'yes'],
    ])('reports %s with value %p, naming what it needs', (operator, value) => {
      const problems = problemsOf(withCondition(leaf({ operator, value })));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: 'conditions.all[1].value', code: 'INVALID_VALUE' });
      expect(problems[0].message).toContain(`for "${operator}" must be`);
    });

    it('reports a missing value', () => {
      const { value: _omit, ...noValue } = leaf();
      expect(problemsOf(withCondition(noValue))[0]).toMatchObject({
        path: 'conditions.all[1].value',
        code: 'INVALID_VALUE',
      });
    });
  });

  describe('condition shape', () => {
    it.each([
      ['a condition at the root', leaf(), 'conditions'],
      ['a list at the root', [leaf()], 'conditions'],
      ['a block that mixes keys', { all: [{ any: [leaf()], all: [leaf()] }] }, 'conditions.all[0]'],
      ['a block with an extra key', { all: [leaf()], priority: 2 }, 'conditions'],
      ['an empty "any"', { any: [] }, 'conditions.any'],
      ['an empty nested "all"', { any: [leaf(), { all: [] }] }, 'conditions.any[1].all'],
      ['an "all" that is not a list', { all: leaf() }, 'conditions.all'],
      ['a "not" that is a list', { not: [leaf()] }, 'conditions.not'],
      ['a condition that is a string', { all: ['amount >= 50'] }, 'conditions.all[0]'],
      [
        'a condition with an extra key',
        { all: [leaf({ params: {} })] },
        'conditions.all[0].params',
      ],
      ['a condition reference', { all: [{ condition: 'shared' }] }, 'conditions.all[0].condition'],
    ])('reports %s', (_label, conditions, path) => {
      const problems = problemsOf(rule({ conditions }));
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]).toMatchObject({ path, code: 'INVALID_CONDITION' });
    });

    it('reports every problem in the tree at once', () => {
      const problems = problemsOf(
        rule({
          conditions: { any: [leaf({ operator: 'gte' }), { all: [leaf({ fact: 'amount' })] }] },
        }),
      );
      expect(problems.map((p) => [p.path, p.code])).toEqual([
        ['conditions.any[0].operator', 'UNKNOWN_OPERATOR'],
        ['conditions.any[1].all[0].fact', 'UNKNOWN_FACT'],
      ]);
    });
  });

  describe('limits', () => {
    const nest = (depth: number): unknown =>
      depth === 1 ? { all: [leaf()] } : { all: [nest(depth - 1)] };

    it('accepts blocks nested to the limit', () => {
      expect(problemsOf(rule({ conditions: nest(RULE_LIMITS.maxDepth) }))).toEqual([]);
    });

    it('reports blocks nested deeper than the limit', () => {
      const problems = problemsOf(rule({ conditions: nest(RULE_LIMITS.maxDepth + 1) }));
      expect(problems).toEqual([expect.objectContaining({ code: 'LIMIT_EXCEEDED' })]);
      expect(problems[0].message).toContain(`at most ${RULE_LIMITS.maxDepth} levels`);
    });

    it('reports more conditions than the limit once', () => {
      const all = Array.from({ length: RULE_LIMITS.maxConditions + 5 }, () => leaf());
      const problems = problemsOf(rule({ conditions: { all } }));
      expect(problems).toEqual([
        expect.objectContaining({
          path: `conditions.all[${RULE_LIMITS.maxConditions}]`,
          code: 'LIMIT_EXCEEDED',
        }),
      ]);
    });

    it('reports a list value longer than the limit', () => {
      const value = Array.from({ length: RULE_LIMITS.maxListItems + 1 }, (_, i) => i);
      expect(problemsOf(withCondition(leaf({ operator: 'in', value })))).toEqual([
        expect.objectContaining({ path: 'conditions.all[1].value', code: 'LIMIT_EXCEEDED' }),
      ]);
    });

    it('reports a string value longer than the limit', () => {
      const value = 'x'.repeat(RULE_LIMITS.maxStringLength + 1);
      expect(problemsOf(withCondition(leaf({ operator: 'equal', value })))).toEqual([
        expect.objectContaining({ path: 'conditions.all[1].value', code: 'LIMIT_EXCEEDED' }),
      ]);
    });
  });

  describe('templates', () => {
    it('accepts reward-earned and the program own templates', () => {
      expect(
        problemsOf(rule({ actions: [{ ...emailAction, template: 'reward-earned' }, emailAction] })),
      ).toEqual([]);
    });

    it('reports an unknown template naming it and listing the usable ones', () => {
      const problems = problemsOf(
        rule({ actions: [rewardAction, { ...emailAction, template: 'welcom' }] }),
      );
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: 'actions[1].template', code: 'UNKNOWN_TEMPLATE' });
      expect(problems[0].message).toContain('Unknown template "welcom"');
      expect(problems[0].message).toContain('"reward-earned", "welcome-referrer", "friend-joined"');
    });

    it.each(['verification', 'password-reset', 'w9-required', 'payout-reminder'])(
      'reports system template %p as reserved for the system',
      (template) => {
        const problems = problemsOf(rule({ actions: [{ ...emailAction, template }] }));
        expect(problems).toEqual([
          expect.objectContaining({ path: 'actions[0].template', code: 'RESERVED_TEMPLATE' }),
        ]);
        expect(problems[0].message).toContain(`"${template}"`);
      },
    );

    it('checks the template of a reward action that sends email', () => {
      const problems = problemsOf(
        rule({ actions: [{ ...rewardAction, email: true, template: 'nope' }] }),
      );
      expect(problems).toEqual([
        expect.objectContaining({ path: 'actions[0].template', code: 'UNKNOWN_TEMPLATE' }),
      ]);
    });

    // Every registry key, so a newly registered system email cannot be left out again.
    describe.each([
      ['an email action', (template: string) => ({ ...emailAction, template })],
      ['a reward action', (template: string) => ({ ...rewardAction, email: true, template })],
    ])('in %s', (_label, actionWith) => {
      it.each(EMAIL_TYPE_KEYS)('accepts registry key %p only when a rule may send it', (key) => {
        const problems = problemsOf(rule({ actions: [actionWith(key)] }));
        const sentBy = sentOnlyBy(key);
        if ((RULE_EMAIL_KEYS as readonly string[]).includes(key)) {
          expect(sentBy).toBeUndefined();
          expect(problems).toEqual([]);
          return;
        }
        expect(sentBy).toBeDefined();
        expect(problems).toEqual([
          expect.objectContaining({ path: 'actions[0].template', code: 'RESERVED_TEMPLATE' }),
        ]);
        expect(problems[0].message).toContain(sentBy);
        expect(problems[0].message).not.toContain('PUT /v1/templates');
      });

      it('reports an unknown program key, suggesting to create it', () => {
        const problems = problemsOf(rule({ actions: [actionWith('spring-promo')] }));
        expect(problems).toEqual([
          expect.objectContaining({ path: 'actions[0].template', code: 'UNKNOWN_TEMPLATE' }),
        ]);
        expect(problems[0].message).toContain('PUT /v1/templates/spring-promo/');
        for (const key of RULE_EMAIL_KEYS) expect(problems[0].message).toContain(`"${key}"`);
      });
    });
  });

  describe('actions', () => {
    it.each([
      ['no actions', [], 'actions', 'INVALID_ACTION'],
      ['actions that are not a list', rewardAction, 'actions', 'INVALID_ACTION'],
      [
        'too many actions',
        Array.from({ length: RULE_LIMITS.maxActions + 1 }, () => rewardAction),
        'actions',
        'LIMIT_EXCEEDED',
      ],
      ['an action that is not an object', ['email'], 'actions[0]', 'INVALID_ACTION'],
      ['an unknown type', [{ ...emailAction, type: 'sms' }], 'actions[0].type', 'INVALID_ACTION'],
      [
        'an unknown recipient',
        [{ ...emailAction, to: 'friend' }],
        'actions[0].to',
        'INVALID_ACTION',
      ],
      [
        'a missing recipient',
        [{ type: 'email', template: 'reward-earned' }],
        'actions[0].to',
        'INVALID_ACTION',
      ],
      [
        'an unknown email property',
        [{ ...emailAction, cc: 'x@y.z' }],
        'actions[0].cc',
        'INVALID_ACTION',
      ],
      [
        'an unknown sender',
        [{ ...emailAction, sender: 'bob' }],
        'actions[0].sender',
        'UNKNOWN_SENDER',
      ],
      ['an empty sender', [{ ...emailAction, sender: '' }], 'actions[0].sender', 'INVALID_ACTION'],
      [
        'an unknown reward kind',
        [{ ...rewardAction, kind: 'bonus' }],
        'actions[0].kind',
        'INVALID_ACTION',
      ],
      ['a zero amount', [{ ...rewardAction, amount: 0 }], 'actions[0].amount', 'INVALID_AMOUNT'],
      [
        'a negative amount',
        [{ ...rewardAction, amount: -5 }],
        'actions[0].amount',
        'INVALID_AMOUNT',
      ],
      [
        'an amount in a string',
        [{ ...rewardAction, amount: '25' }],
        'actions[0].amount',
        'INVALID_AMOUNT',
      ],
      [
        'an amount with 5 decimals',
        [{ ...rewardAction, amount: 1.23456 }],
        'actions[0].amount',
        'INVALID_AMOUNT',
      ],
      ['a tiny amount', [{ ...rewardAction, amount: 1e-7 }], 'actions[0].amount', 'INVALID_AMOUNT'],
      [
        'a USD amount with a fraction of a cent',
        [{ ...rewardAction, amount: 1.005 }],
        'actions[0].amount',
        'INVALID_AMOUNT',
      ],
      [
        'a USD gift card of 4 decimals',
        [{ ...rewardAction, kind: 'gift_card', amount: 300.0049 }],
        'actions[0].amount',
        'INVALID_AMOUNT',
      ],
      [
        'a taxableUsd with a fraction of a cent',
        [{ ...rewardAction, kind: 'credit', currency: 'EUR', taxableUsd: 0.005 }],
        'actions[0].taxableUsd',
        'INVALID_AMOUNT',
      ],
      [
        'an amount above the limit',
        [{ ...rewardAction, amount: RULE_LIMITS.maxAmount + 1 }],
        'actions[0].amount',
        'INVALID_AMOUNT',
      ],
      [
        'fractional points',
        [{ ...rewardAction, kind: 'points', amount: 1.5 }],
        'actions[0].amount',
        'INVALID_AMOUNT',
      ],
      [
        'a lower-case currency',
        [{ ...rewardAction, currency: 'usd' }],
        'actions[0].currency',
        'INVALID_CURRENCY',
      ],
      [
        'a currency that is not ISO-4217',
        [{ ...rewardAction, currency: 'ABC' }],
        'actions[0].currency',
        'INVALID_CURRENCY',
      ],
      [
        'a missing currency',
        [{ type: 'reward', to: 'referrer', kind: 'cash', amount: 5 }],
        'actions[0].currency',
        'INVALID_CURRENCY',
      ],
      [
        'email that is not a boolean',
        [{ ...rewardAction, email: 'yes' }],
        'actions[0].email',
        'INVALID_ACTION',
      ],
      [
        'a template with email: false',
        [{ ...rewardAction, email: false, template: 'reward-earned' }],
        'actions[0].template',
        'INVALID_ACTION',
      ],
      [
        'a negative taxableUsd',
        [{ ...rewardAction, kind: 'credit', taxableUsd: -1 }],
        'actions[0].taxableUsd',
        'INVALID_AMOUNT',
      ],
      [
        'taxableUsd that differs on USD cash',
        [{ ...rewardAction, taxableUsd: 10 }],
        'actions[0].taxableUsd',
        'INVALID_AMOUNT',
      ],
      [
        'an unknown reward property',
        [{ ...rewardAction, note: 'x' }],
        'actions[0].note',
        'INVALID_ACTION',
      ],
    ])('reports %s', (_label, actions, path, code) => {
      const problems = problemsOf(rule({ actions }));
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]).toMatchObject({ path, code });
    });

    it.each([
      // USD amounts are whole cents; other currencies keep up to 4 decimals.
      ['an amount with 4 decimals', { ...rewardAction, currency: 'EUR', amount: 12.3456 }],
      ['a USD amount in whole cents', { ...rewardAction, amount: 300.01 }],
      ['points', { ...rewardAction, kind: 'points', amount: 100 }],
      ['a euro gift card', { ...rewardAction, kind: 'gift_card', currency: 'EUR' }],
      ['a discount with taxableUsd', { ...rewardAction, kind: 'discount', taxableUsd: 12.5 }],
      ['taxableUsd equal to the amount on USD cash', { ...rewardAction, taxableUsd: 25 }],
      ['a known sender', { ...emailAction, sender: 'ana' }],
      [
        'a reward email with a program template',
        { ...rewardAction, email: true, template: 'friend-joined' },
      ],
    ])('accepts %s', (_label, action) => {
      expect(problemsOf(rule({ actions: [action] }))).toEqual([]);
    });

    it('says which whole-cent amounts to use instead of a fraction of a cent', () => {
      const [amount] = problemsOf(rule({ actions: [{ ...rewardAction, amount: 1.005 }] }));
      expect(amount.message).toBe(
        'actions[0].amount is in USD and has a fraction of a cent (1.005); USD amounts have at most 2 decimals: use 1.00 or 1.01.',
      );
    });

    it('names the valid choices in action messages', () => {
      const [kind] = problemsOf(rule({ actions: [{ ...rewardAction, kind: 'bonus' }] }));
      expect(kind.message).toContain('cash, credit, discount, gift_card, points');
      const [to] = problemsOf(rule({ actions: [{ ...emailAction, to: 'friend' }] }));
      expect(to.message).toContain('participant, referrer');
      const [type] = problemsOf(rule({ actions: [{ ...emailAction, type: 'sms' }] }));
      expect(type.message).toContain('"sms"');
      expect(type.message).toContain('email, reward');
    });
  });

  describe('rule fields', () => {
    it.each([
      ['a missing name', { name: undefined }, 'name'],
      ['a blank name', { name: '  ' }, 'name'],
      ['a missing event', { event: undefined }, 'event'],
      ['a non-boolean enabled', { enabled: 'yes' }, 'enabled'],
      ['a fractional priority', { priority: 1.5 }, 'priority'],
      ['a priority beyond the limit', { priority: RULE_LIMITS.maxPriority + 1 }, 'priority'],
    ])('reports %s', (_label, over, path) => {
      expect(problemsOf(rule(over))).toEqual([
        expect.objectContaining({ path, code: 'INVALID_FIELD' }),
      ]);
    });

    it('reports a definition that is not an object', () => {
      expect(problemsOf('rule')).toEqual([expect.objectContaining({ code: 'INVALID_FIELD' })]);
    });
  });
});

describe('parseConditions', () => {
  it('returns undefined conditions for none and normalised ones otherwise', () => {
    expect(parseConditions(undefined)).toEqual({ ok: true, conditions: undefined });
    expect(parseConditions({ any: [leaf({ path: 'a.b' })] })).toEqual({
      ok: true,
      conditions: { any: [{ ...leaf(), path: '$.a.b' }] },
    });
  });

  it('returns the problems of invalid conditions', () => {
    const result = parseConditions({ all: [leaf({ fact: 'nope' })] });
    expect(result.ok).toBe(false);
  });
});
