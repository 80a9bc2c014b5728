import type { DriverResult, MailDriver, OutgoingMail } from '../mail-driver';
import type { BuiltinRoute } from '../mail-route';
import { EmlWriter } from './eml-writer';

/** The embedded built-in sender: each message is an .eml file under the data folder. */
export class EmlDriver implements MailDriver<BuiltinRoute> {
  constructor(readonly writer: EmlWriter) {}

  async send(_route: BuiltinRoute, mail: OutgoingMail): Promise<DriverResult> {
    const path = await this.writer.write(mail.programId, mail.id, mail.raw);
    return { response: `written to ${path}`, accepted: mail.envelope.to, rejected: [] };
  }
}
