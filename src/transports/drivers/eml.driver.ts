import type { DriverResult, MailDriver, OutgoingMail } from '../mail-driver';
import type { BuiltinRoute } from '../mail-route';
import { EmlWriter } from './eml-writer';

/** The embedded built-in sender: each message is an .eml file under the data folder. */
export class EmlDriver implements MailDriver<BuiltinRoute> {
  constructor(readonly writer: EmlWriter) {}

  async send(_route: BuiltinRoute, mail: OutgoingMail): Promise<DriverResult> {
    await this.writer.write(mail.programId, mail.id, mail.raw);
    // Where the server keeps it is the operator's business; the message log links to /raw.
    return {
      response: 'kept as an .eml file by the built-in sender (GET /v1/messages/:id/raw)',
      accepted: mail.envelope.to,
      rejected: [],
    };
  }
}
