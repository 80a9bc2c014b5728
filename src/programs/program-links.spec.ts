import { AppError } from '../common/errors/app-error';
import { isHttpsLink } from './dto/program-links.dto';
import { participantPageLink, programLink, refuseLocalLinks } from './program-links';

const program = (settings: Record<string, unknown> = {}) => ({ id: 'prog-1', settings });

describe(participantPageLink.name, () => {
  it.each([
    [{}, 'verify', 'tok', 'https://notify.example/p/verify?token=tok'],
    [{}, 'resetPassword', 'tok', 'https://notify.example/p/reset-password?token=tok'],
    [{}, 'resetPassword', undefined, 'https://notify.example/p/reset-password?program=prog-1'],
    [
      { micrositeUrl: 'https://club.example.com/' },
      'verify',
      'a/b',
      'https://club.example.com/verify?token=a%2Fb',
    ],
    [
      { micrositeUrl: 'https://club.example.com/members//' },
      'resetPassword',
      undefined,
      'https://club.example.com/members/reset-password',
    ],
  ] as const)('with settings %j, links %s (token %s) to %s', (settings, page, token, link) => {
    expect(participantPageLink(program(settings), 'https://notify.example/', page, token)).toBe(
      link,
    );
  });
});

describe(programLink.name, () => {
  it('is the page the program set, or null', () => {
    expect(programLink(program({ links: { taxForm: 'https://x.example/t' } }), 'taxForm')).toBe(
      'https://x.example/t',
    );
    expect(
      programLink(program({ links: { taxForm: 'https://x.example/t' } }), 'payoutDetails'),
    ).toBeNull();
    expect(programLink(program({ links: null }), 'taxForm')).toBeNull();
    expect(programLink(program(), 'taxForm')).toBeNull();
  });
});

describe(isHttpsLink.name, () => {
  it.each([
    ['https://club.example.com/tax-form', true],
    ['https://club.example.com/tax-form?ref=email#w9', true],
    ['https://localhost:8443/tax', true],
    ['http://club.example.com/tax-form', false],
    ['//club.example.com/tax-form', false],
    ['https://user:pw@club.example.com/', false],
    ['https://club.example.com/\u200btax', false],
    [`https://club.example.com/${'a'.repeat(480)}`, false],
    [42, false],
  ])('%j → %s', (value, ok) => {
    expect(isHttpsLink(value)).toBe(ok);
  });
});

describe(refuseLocalLinks.name, () => {
  const refusal = (settings: Record<string, unknown>, env?: string) => {
    try {
      refuseLocalLinks(settings, { NODE_ENV: env });
      return undefined;
    } catch (err) {
      return (err as AppError).getResponse() as { code: string; details: { field: string }[] };
    }
  };

  it('lets a laptop link to itself', () => {
    expect(refusal({ links: { taxForm: 'https://localhost/tax' } })).toBeUndefined();
    expect(refusal({ micrositeUrl: 'http://localhost:5173' }, 'development')).toBeUndefined();
  });

  it('refuses localhost and plain http in production, naming each field', () => {
    const body = refusal(
      {
        micrositeUrl: 'http://club.example.com',
        links: { taxForm: 'https://127.0.0.1/tax', payoutDetails: 'https://club.example.com/pay' },
      },
      'production',
    );
    expect(body?.code).toBe('VALIDATION_FAILED');
    expect(body?.details.map((d) => d.field)).toEqual([
      'settings.micrositeUrl',
      'settings.links.taxForm',
    ]);
    expect(
      refusal({ links: { taxForm: 'https://club.example.com/tax' } }, 'production'),
    ).toBeUndefined();
  });
});
