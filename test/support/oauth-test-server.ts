import { fork, type ChildProcess } from 'node:child_process';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { join } from 'node:path';
import { testCertificates } from './smtp-test-server';

export interface OAuthSettings {
  /** What the token endpoint says the access token lives (`expires_in`), in seconds. */
  accessLifetimeS?: number;
  /** When set, the token itself expires after this many seconds, whatever `expires_in` says. */
  jwtLifetimeS?: number | null;
  /** Every refresh is answered `invalid_grant`. */
  refuseRefresh?: boolean;
}

export interface OAuthStats {
  /** Requests to the token endpoint, by grant type (and `introspect`). */
  counts: Record<string, number>;
  issued: { access: string[]; refresh: string[] };
}

export interface VerifiedToken {
  email: string | null;
  exp: number;
  scope?: string;
}

const CLIENT_ID = 'test-client-id';
const CLIENT_SECRET = 'test-client-secret-0123456789';

/**
 * A local OAuth 2.0 authorization server (oauth2-mock-server, in a child process) for the tests of
 * sign-in with Microsoft and Google: authorize (with PKCE), token (authorization code, refresh),
 * its signing keys, and introspection for Dovecot. The test controls token lifetimes and
 * revocation, and counts the token endpoint's requests.
 */
export class OAuthTestServer {
  private next = 0;
  private readonly waiting = new Map<number, (value: unknown) => void>();
  private jwks?: JsonWebKey[];

  private constructor(
    private readonly child: ChildProcess,
    readonly issuer: string,
    readonly introspectionUrl: string,
  ) {
    child.on('message', (msg: { id?: number; value?: unknown }) => {
      if (msg.id === undefined) return;
      this.waiting.get(msg.id)?.(msg.value);
      this.waiting.delete(msg.id);
    });
  }

  static async start(): Promise<OAuthTestServer> {
    const child = fork(
      join(__dirname, 'oauth-test-server.child.mjs'),
      [
        JSON.stringify({
          certDir: testCertificates().dir,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
        }),
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const ready = await new Promise<{ issuer: string; introspectionUrl: string }>(
      (resolve, reject) => {
        child.once(
          'message',
          (msg: { ready?: boolean; issuer: string; introspectionUrl: string }) =>
            msg.ready ? resolve(msg) : reject(new Error('the OAuth test server did not start')),
        );
        child.once('exit', (code) => reject(new Error(`the OAuth test server exited (${code})`)));
      },
    );
    return new OAuthTestServer(child, ready.issuer, ready.introspectionUrl);
  }

  get authorizeUrl(): string {
    return `${this.issuer}/authorize`;
  }

  /**
   * The same server over plain HTTP on 127.0.0.1, for a browser that does not trust the test CA:
   * only its sign-in page, which sends the browser on and receives no secret.
   */
  get plainAuthorizeUrl(): string {
    return `${new URL(this.introspectionUrl).origin}/authorize`;
  }

  get tokenUrl(): string {
    return `${this.issuer}/token`;
  }

  /** The service's configuration for one provider pointed at this server. */
  env(provider: 'microsoft' | 'google' = 'microsoft'): Record<string, string> {
    const p = provider.toUpperCase();
    return {
      [`OAUTH_${p}_CLIENT_ID`]: CLIENT_ID,
      [`OAUTH_${p}_CLIENT_SECRET`]: CLIENT_SECRET,
      [`OAUTH_${p}_AUTHORIZE_URL`]: this.authorizeUrl,
      [`OAUTH_${p}_TOKEN_URL`]: this.tokenUrl,
    };
  }

  set(settings: OAuthSettings): Promise<unknown> {
    return this.call('set', { settings });
  }

  /** Every refresh token issued so far is revoked: refreshing with it answers `invalid_grant`. */
  revokeAll(): Promise<unknown> {
    return this.call('revoke-all');
  }

  stats(): Promise<OAuthStats> {
    return this.call('stats') as Promise<OAuthStats>;
  }

  async tokenRequests(grant: 'refresh_token' | 'authorization_code'): Promise<number> {
    return (await this.stats()).counts[grant] ?? 0;
  }

  resetCounts(): Promise<unknown> {
    return this.call('reset-counts');
  }

  /**
   * What the provider's sign-in page does once the person accepts: its redirect to the service's
   * callback, with the code and the state.
   */
  async signIn(authorizeUrl: string): Promise<URL> {
    const res = await fetch(authorizeUrl, { redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location)
      throw new Error(`the authorization endpoint answered ${res.status}: ${await res.text()}`);
    return new URL(location);
  }

  /**
   * Checks an access token as a mail server would: signed by this server's key (RS256), not
   * expired; the mailbox it was issued for, or null when it is not valid.
   */
  async verifyAccessToken(token: string): Promise<VerifiedToken | null> {
    this.jwks ??= (
      (await (await fetch(`${this.issuer}/jwks`)).json()) as { keys: JsonWebKey[] }
    ).keys;
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return null;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as {
      kid?: string;
      alg?: string;
    };
    const jwk = this.jwks.find((k) => k.kid === header.kid);
    if (!jwk || header.alg !== 'RS256') return null;
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      createPublicKey({ key: jwk, format: 'jwk' }),
      Buffer.from(s, 'base64url'),
    );
    if (!ok) return null;
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as VerifiedToken;
    if (payload.exp * 1000 <= Date.now()) return null;
    return payload;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await Promise.race([this.call('stop'), exited]);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private call(cmd: string, extra: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.next;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, cmd, ...extra });
    });
  }
}

/** The XOAUTH2 check of a test SMTP server: a valid token of this server, for the login's mailbox. */
export function xoauth2Check(oauth: OAuthTestServer) {
  return async (attempt: { method: string; username: string; accessToken?: string }) => {
    if (attempt.method !== 'XOAUTH2' || !attempt.accessToken)
      return { code: 535, message: '5.7.8 Only XOAUTH2 is accepted here' };
    const token = await oauth.verifyAccessToken(attempt.accessToken);
    if (!token || token.email !== attempt.username) {
      return {
        code: 334,
        message: '',
        data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' },
      };
    }
    return undefined;
  };
}
