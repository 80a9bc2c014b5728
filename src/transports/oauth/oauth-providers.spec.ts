import { loadConfig } from '../../config/app.config';
import { freshUntil } from './access-tokens';
import { OAuthProviders } from './oauth-providers';

describe(OAuthProviders.name, () => {
  it('offers only the providers that have a client id', () => {
    expect(new OAuthProviders(loadConfig({})).list()).toEqual([]);
    const providers = new OAuthProviders(
      loadConfig({ OAUTH_GOOGLE_CLIENT_ID: 'g', OAUTH_GOOGLE_CLIENT_SECRET: 's' }),
    );
    expect(providers.list().map((p) => p.name)).toEqual(['google']);
    expect(providers.get('microsoft')).toBeUndefined();
  });

  it("defaults to the providers' real endpoints, Microsoft's for the tenant", () => {
    const providers = new OAuthProviders(
      loadConfig({
        OAUTH_MICROSOFT_CLIENT_ID: 'm',
        OAUTH_MICROSOFT_TENANT: 'contoso.onmicrosoft.com',
        OAUTH_GOOGLE_CLIENT_ID: 'g',
      }),
    );
    const microsoft = providers.get('microsoft')!;
    expect(microsoft.authorizeUrl).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
    );
    expect(microsoft.tokenUrl).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    );
    expect(microsoft.smtp).toEqual({ host: 'smtp.office365.com', port: 587, security: 'tls' });
    expect(microsoft.scopes({ imap: false })).toEqual([
      'https://outlook.office.com/SMTP.Send',
      'offline_access',
    ]);
    expect(microsoft.scopes({ imap: true })).toContain(
      'https://outlook.office.com/IMAP.AccessAsUser.All',
    );
    const google = providers.get('google')!;
    expect(google.authorizeUrl).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(google.tokenUrl).toBe('https://oauth2.googleapis.com/token');
    expect(google.smtp).toEqual({ host: 'smtp.gmail.com', port: 465, security: 'ssl' });
    expect(google.scopes({ imap: true })).toEqual(['https://mail.google.com/']);
    expect(google.authorizeParams('a@gmail.com')).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
    });
  });

  it('takes other endpoints (tests, sovereign clouds), https or on this machine only', () => {
    const ok = loadConfig({
      OAUTH_MICROSOFT_CLIENT_ID: 'm',
      OAUTH_MICROSOFT_AUTHORIZE_URL: 'https://login.microsoftonline.us/x/oauth2/v2.0/authorize',
      OAUTH_MICROSOFT_TOKEN_URL: 'http://127.0.0.1:9000/token',
    });
    expect(new OAuthProviders(ok).get('microsoft')!.tokenUrl).toBe('http://127.0.0.1:9000/token');
    for (const bad of ['http://login.example.com/token', 'https://u:p@x.example/token', 'token']) {
      expect(() => loadConfig({ OAUTH_GOOGLE_TOKEN_URL: bad })).toThrow(/OAUTH_GOOGLE_TOKEN_URL/);
    }
    expect(() => loadConfig({ OAUTH_MICROSOFT_TENANT: 'a/b' })).toThrow(/OAUTH_MICROSOFT_TENANT/);
  });

  it('never prints a client secret in a configuration error', () => {
    const secret = 'very-secret-client-value';
    let message = '';
    try {
      loadConfig({ OAUTH_GOOGLE_CLIENT_SECRET: secret, OAUTH_GOOGLE_TOKEN_URL: 'ftp://x' });
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/OAUTH_GOOGLE_TOKEN_URL/);
    expect(message).not.toContain(secret);
  });
});

describe(freshUntil.name, () => {
  it('renews a minute before expiry, or a quarter of a short lifetime before', () => {
    expect(freshUntil(0, 3600_000)).toBe(3540_000);
    expect(freshUntil(0, 4_000)).toBe(3_000);
    expect(freshUntil(1_000, 500)).toBe(500);
  });
});
