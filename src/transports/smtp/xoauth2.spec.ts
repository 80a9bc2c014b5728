import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { AccountWaitingError } from '../accounts/account-waiting';
import {
  decodeXOAuth2Failure,
  tokenErrorOf,
  xoauth2Handler,
  xoauth2Response,
  XOAuth2LoginError,
  type XOAuth2Login,
} from './xoauth2';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** A server that answers each command from a script, and records what it was sent. */
function scripted(replies: string[]) {
  const sent: string[] = [];
  const ctx = {
    sendCommand: (cmd: string) => {
      sent.push(cmd);
      const response = replies.shift() ?? '554 5.0.0 unexpected';
      return Promise.resolve({ command: cmd, response, status: 0, text: '' });
    },
  } as unknown as SMTPConnection.CustomAuthenticationContext;
  return { ctx, sent };
}

function tokens(...values: string[]): XOAuth2Login & { asked: Array<string | undefined> } {
  const asked: Array<string | undefined> = [];
  return {
    key: 'k',
    asked,
    accessToken: (rejected?: string) => {
      asked.push(rejected);
      return Promise.resolve(values[asked.length - 1]);
    },
  };
}

describe('XOAUTH2', () => {
  it('builds the SASL initial response', () => {
    expect(Buffer.from(xoauth2Response('a@b.test', 'tok'), 'base64').toString()).toBe(
      'user=a@b.test\x01auth=Bearer tok\x01\x01',
    );
  });

  it.each([
    [b64({ status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' }), '401'],
    [b64({ status: 400 }), '400'],
  ])('decodes the JSON a server sends with a refusal: %s', (challenge, status) => {
    expect(decodeXOAuth2Failure(challenge)?.status).toBe(status);
  });

  it.each(['', 'not base64!', Buffer.from('plain text').toString('base64'), b64('a string')])(
    'decodes nothing from a challenge that is not a JSON object: %j',
    (challenge) => {
      expect(decodeXOAuth2Failure(challenge)).toBeUndefined();
    },
  );

  describe(xoauth2Handler.name, () => {
    it('logs in with the current token', async () => {
      const { ctx, sent } = scripted(['235 2.7.0 Accepted']);
      const login = tokens('t1');
      await xoauth2Handler('a@b.test', login)(ctx);
      expect(sent).toEqual([`AUTH XOAUTH2 ${xoauth2Response('a@b.test', 't1')}`]);
      expect(login.asked).toEqual([undefined]);
    });

    it('asks once for a new token when the server refuses one, and logs in with it', async () => {
      const { ctx, sent } = scripted([
        `334 ${b64({ status: '401' })}`,
        '535-5.7.8 Username and Password not accepted.\n535 5.7.8 https://support.google.com - gsmtp',
        '235 2.7.0 Accepted',
      ]);
      const login = tokens('old', 'new');
      await xoauth2Handler('a@b.test', login)(ctx);
      expect(login.asked).toEqual([undefined, 'old']);
      expect(sent).toEqual([
        `AUTH XOAUTH2 ${xoauth2Response('a@b.test', 'old')}`,
        '',
        `AUTH XOAUTH2 ${xoauth2Response('a@b.test', 'new')}`,
      ]);
    });

    it('gives up after the one retry, with the server JSON decoded', async () => {
      const { ctx } = scripted([
        `334 ${b64({ status: '400', scope: 'https://mail.google.com/' })}`,
        '535 5.7.8 Username and Password not accepted',
        `334 ${b64({ status: '400', scope: 'https://mail.google.com/' })}`,
        '535 5.7.8 Username and Password not accepted',
      ]);
      const err = await xoauth2Handler('a@b.test', tokens('t1', 't2'))(ctx).catch((e) => e);
      expect(err).toBeInstanceOf(XOAuth2LoginError);
      expect((err as XOAuth2LoginError).xoauth2).toEqual({
        status: '400',
        scope: 'https://mail.google.com/',
        schemes: undefined,
      });
    });

    it('does not refresh for a refusal no token can change (SMTP AUTH off for the mailbox)', async () => {
      const { ctx } = scripted([
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
      ]);
      const login = tokens('t1', 't2');
      await expect(xoauth2Handler('a@b.test', login)(ctx)).rejects.toBeInstanceOf(
        XOAuth2LoginError,
      );
      expect(login.asked).toEqual([undefined]);
    });

    it('passes a revoked sign-in on as it is, with its code put back after nodemailer', async () => {
      const { ctx } = scripted([]);
      const revoked = new AccountWaitingError('OAUTH_REAUTHORIZATION_REQUIRED', 'revoked');
      const login: XOAuth2Login = { key: 'k', accessToken: () => Promise.reject(revoked) };
      const err = await xoauth2Handler('a@b.test', login)(ctx).catch((e: unknown) => e);
      expect(err).toBe(revoked);
      // What nodemailer does to an error thrown inside a login.
      Object.assign(revoked, { code: 'EAUTH' });
      expect(tokenErrorOf(revoked)?.code).toBe('OAUTH_REAUTHORIZATION_REQUIRED');
      expect(tokenErrorOf(new Error('other'))).toBeUndefined();
    });
  });
});
