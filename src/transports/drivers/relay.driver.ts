import { createTransport, type Transporter } from 'nodemailer';
import type { DriverResult, MailDriver, OutgoingMail } from '../mail-driver';
import type { BuiltinRoute } from '../mail-route';
import { sendSmtpMessage } from '../smtp/smtp-sender';

/** The platform's relay (BUILTIN_SMTP_URL) for the built-in sender: one pooled connection set. */
export class RelayDriver implements MailDriver<BuiltinRoute> {
  private transport?: Transporter;

  constructor(
    private readonly url: string,
    private readonly ehloName: string,
  ) {}

  send(route: BuiltinRoute, mail: OutgoingMail): Promise<DriverResult> {
    this.transport ??= createTransport(this.url, {
      pool: true,
      name: this.ehloName,
      disableFileAccess: true,
      disableUrlAccess: true,
    } as never);
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
