import { effectiveSendLimits, providerLimits } from './send-limits';

describe('providerLimits', () => {
  it.each([
    ['smtp.office365.com', 'ana@contoso.com', 'microsoft-365', 30, 10_000],
    ['SMTP.Office365.com.', 'ana@contoso.com', 'microsoft-365', 30, 10_000],
    ['smtp-mail.outlook.com', 'ana@outlook.com', 'microsoft-365', 30, 10_000],
    ['smtp.gmail.com', 'ana@gmail.com', 'gmail', null, 500],
    ['smtp.gmail.com', 'Ana@GoogleMail.com', 'gmail', null, 500],
    ['smtp.gmail.com', 'ana@acme.com', 'google-workspace', null, 2_000],
    ['smtp.googlemail.com', null, 'google-workspace', null, 2_000],
    ['smtp-relay.gmail.com', 'ana@acme.com', 'google-workspace-relay', null, 10_000],
  ])('knows %s for %s', (host, login, provider, perMinute, perDay) => {
    expect(providerLimits(host, login)).toEqual({ provider, limits: { perMinute, perDay } });
  });

  it.each(['smtp.example.com', 'outlook.com.evil.test', 'notgmail.com', 'office365.com.example'])(
    'has no defaults for %s',
    (host) => {
      expect(providerLimits(host, 'ana@example.com')).toBeNull();
    },
  );
});

describe('effectiveSendLimits', () => {
  const none = { perMinute: null, perDay: null };

  it('fills in the provider defaults when nothing is set, and says so', () => {
    expect(
      effectiveSendLimits({ own: none, host: 'smtp.office365.com', login: 'ana@contoso.com' }),
    ).toEqual({
      perMinute: 30,
      perMinuteSource: 'default',
      perDay: 10_000,
      perDaySource: 'default',
      provider: 'microsoft-365',
    });
  });

  it('decides each limit on its own: a per-minute limit set keeps the daily default', () => {
    expect(
      effectiveSendLimits({
        own: { perMinute: 10, perDay: null },
        host: 'smtp.office365.com',
        login: 'ana@contoso.com',
      }),
    ).toMatchObject({
      perMinute: 10,
      perMinuteSource: 'set',
      perDay: 10_000,
      perDaySource: 'default',
    });
  });

  it('gives a sender without limits the integration’s, before the provider’s', () => {
    expect(
      effectiveSendLimits({
        own: { perMinute: null, perDay: 300 },
        host: 'smtp.gmail.com',
        login: 'bo@gmail.com',
        integration: { perMinute: 5, perDay: 1000 },
      }),
    ).toEqual({
      perMinute: 5,
      perMinuteSource: 'integration',
      perDay: 300,
      perDaySource: 'set',
      provider: 'gmail',
    });
  });

  it('has no limits on another server with none set', () => {
    expect(effectiveSendLimits({ own: none, host: 'mail.example.com', login: 'x' })).toEqual({
      ...none,
      perMinuteSource: null,
      perDaySource: null,
      provider: null,
    });
  });
});
