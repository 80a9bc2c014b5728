import type { DriverResult, MailDriver, OutgoingMail } from '../mail-driver';
import type { SmtpRoute } from '../mail-route';
import { sendSmtpMessage } from '../smtp/smtp-sender';
import type { SmtpTransportPool } from '../smtp/transport-pool';

/** The program's own SMTP server, over the pooled transport of its integration or sender. */
export class SmtpDriver implements MailDriver<SmtpRoute> {
  constructor(private readonly pool: SmtpTransportPool) {}

  async send(route: SmtpRoute, mail: OutgoingMail): Promise<DriverResult> {
    const transport = await this.pool.get(route.transportKey, route.settings, route.version);
    const { host, port, security, password } = route.settings;
    return sendSmtpMessage(
      transport,
      {
        from: route.from.address,
        to: mail.envelope.to,
        subject: '',
        raw: mail.raw,
        envelope: mail.envelope,
      },
      { host, port, security, secrets: password ? [password] : [], phase: 'send' },
    );
  }
}
