import { linkStateOf } from './one-time-links';

describe(linkStateOf.name, () => {
  const now = new Date('2026-05-01T12:00:00Z');
  const row = (over: Partial<{ usedAt: Date | null; expiresAt: Date; emailLower: string }>) => ({
    usedAt: null,
    expiresAt: new Date('2026-05-01T13:00:00Z'),
    emailLower: 'ana@example.com',
    ...over,
  });
  const ana = { emailLower: 'ana@example.com' };

  it.each([
    ['valid', row({}), ana],
    ['used', row({ usedAt: new Date('2026-05-01T11:00:00Z') }), ana],
    ['expired', row({ expiresAt: now }), ana],
    // The address comes first: a link to an old address is never usable, used or not.
    ['changed', row({ usedAt: now }), { emailLower: 'ana.new@example.com' }],
  ])('is %s', (state, link, participant) => {
    expect(linkStateOf(link, participant, now)).toBe(state);
  });
});
