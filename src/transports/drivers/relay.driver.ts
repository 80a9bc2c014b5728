import { createTransport } from 'nodemailer';
import type { SmtpTransporter } from '../smtp/transport-factory';
import type { DriverResult, MailDriver, OutgoingMail } from '../mail-driver';
import type { BuiltinRoute } from '../mail-route';
import { sendSmtpMessage } from '../smtp/smtp-sender';

/** The platform's relay (BUILTIN_SMTP_URL) for the built-in sender: one pooled connection set. */
export class RelayDriver implements MailDriver<BuiltinRoute> {
  private transport?: SmtpTransporter;

  constructor(
    private readonly url: string,
    private readonly ehloName: string,
  ) {}

  send(route: BuiltinRoute, mail: OutgoingMail): Promise<DriverResult> {
    // The options go beside the URL: a second argument would be message defaults, where
    // `pool` and `name` do nothing (nodemailer 10 applies the keys next to `url`).
    this.transport ??= createTransport({
      url: this.url,
      pool: true,
      name: this.ehloName,
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    });
    return sendSmtpMessage(this.transport, {
      from: route.from.address,
      to: mail.envelope.to,
      subject: '',
      raw: mail.raw,
      envelope: mail.envelope,
    });
  }

  async close(): Promise<void> {
    this.transport?.close();
  }
}
