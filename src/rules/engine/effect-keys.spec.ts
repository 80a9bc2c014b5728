import { effectKey } from './effect-keys';

describe('effectKey', () => {
  it('returns the same key for the same parts', () => {
    expect(effectKey('evt_1', 'rule_1', 0, 'p_1')).toBe(effectKey('evt_1', 'rule_1', 0, 'p_1'));
  });

  it('returns a 64-character hex key whatever the length of the ids', () => {
    const key = effectKey('e'.repeat(500), 'r'.repeat(500), 3, 'p'.repeat(500));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key.length).toBeLessThanOrEqual(190);
  });

  it.each([
    ['event', ['evt_2', 'rule_1', 0, 'p_1']],
    ['rule', ['evt_1', 'rule_2', 0, 'p_1']],
    ['action index', ['evt_1', 'rule_1', 1, 'p_1']],
    ['recipient', ['evt_1', 'rule_1', 0, 'p_2']],
    ['boundary between ids', ['evt_1r', 'ule_1', 0, 'p_1']],
    ['separator inside an id', ['evt_1|rule_1', '0', 0, 'p_1']],
  ] as const)(
    'returns a different key when the %s differs',
    (_label, [event, ruleId, index, to]) => {
      expect(effectKey(event, ruleId, index, to)).not.toBe(effectKey('evt_1', 'rule_1', 0, 'p_1'));
    },
  );

  it('keeps keys stable across releases', () => {
    expect(effectKey('evt_1', 'rule_1', 0, 'p_1')).toBe(
      'bc28bce26500ac43a977f6f2d4a7a031b3b7037f88b516e5ab405091ad3153d6',
    );
  });

  it.each([
    ['an empty event id', ['', 'rule_1', 0, 'p_1']],
    ['an empty rule id', ['evt_1', '', 0, 'p_1']],
    ['an empty recipient id', ['evt_1', 'rule_1', 0, '']],
    ['a negative action index', ['evt_1', 'rule_1', -1, 'p_1']],
    ['a fractional action index', ['evt_1', 'rule_1', 0.5, 'p_1']],
  ] as const)('throws for %s', (_label, [event, ruleId, index, to]) => {
    expect(() => effectKey(event, ruleId, index, to)).toThrow();
  });
});
