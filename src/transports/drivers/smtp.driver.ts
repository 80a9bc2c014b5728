import type { DriverResult, MailDriver, OutgoingMail } from '../mail-driver';
import type { SmtpRoute } from '../mail-route';
import { sendSmtpMessage } from '../smtp/smtp-sender';
import type { SmtpTransportPool } from '../smtp/transport-pool';

/**
 * The program's own SMTP server, over the pooled transport of its integration or sender, logged
 * in with a password or with XOAUTH2.
 */
export class SmtpDriver implements MailDriver<SmtpRoute> {
  constructor(private readonly pool: SmtpTransportPool) {}

  async send(route: SmtpRoute, mail: OutgoingMail): Promise<DriverResult> {
    const { host, port, security, password, oauth2 } = route.settings;
    // The access token first: an account whose sign-in was revoked, or a token endpoint that is
    // down, shows as such here rather than as a refused login; a pooled connection that is
    // already logged in would not ask for one.
    const token = oauth2 ? await oauth2.accessToken() : undefined;
    const transport = await this.pool.get(route.transportKey, route.settings, route.version);
    return sendSmtpMessage(
      transport,
      {
        from: route.from.address,
        to: mail.envelope.to,
        subject: '',
        raw: mail.raw,
        envelope: mail.envelope,
      },
      {
        host,
        port,
        security,
        secrets: [password, token].filter((s): s is string => Boolean(s)),
        phase: 'send',
      },
    );
  }
}
