import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import type { Message } from './message.entity';

/** What the embedded sender answers when it writes a message to a file (see EmlDriver). */
const WRITTEN_TO_FILE = /\.eml file/;

/**
 * Why a message has no raw copy to read, in words that say what is true and what to do: each
 * case its own code, all 404 (there is no copy), the body JSON like every error.
 */
export function noRawCopy(m: Message, keepSent: boolean): AppError {
  const fail = (code: string, message: string) => new AppError(HttpStatus.NOT_FOUND, code, message);
  if (m.sensitive)
    return fail(
      'MESSAGE_CONTENT_WITHHELD',
      `Message ${m.id} holds one-time links (a verification or password reset link): its content, the raw copy included, is withheld from the message log so that no one reading the log can use them.`,
    );
  if (m.status !== 'sent' && m.sentAt === null)
    return fail(
      'MESSAGE_NOT_SENT',
      `Message ${m.id} is ${m.status} and was never sent: a raw copy exists only of what was sent.`,
    );
  if (m.serverResponse && WRITTEN_TO_FILE.test(m.serverResponse))
    return fail(
      'MESSAGE_RAW_MISSING',
      `The .eml file the built-in sender wrote for message ${m.id} is no longer in the data folder (DATA_DIR/outbox): it was removed, or this process reads another DATA_DIR than the one that sent it.`,
    );
  const via =
    m.transport === 'smtp'
      ? "the program's SMTP server"
      : "the built-in sender's relay (BUILTIN_SMTP_URL)";
  return fail(
    'MESSAGE_RAW_NOT_KEPT',
    keepSent
      ? `Message ${m.id} was sent through ${via} and no copy of it was kept: it was sent before KEEP_SENT_MESSAGES was turned on, or its copy is in the DATA_DIR of another machine.`
      : `Message ${m.id} was sent through ${via}, and copies of messages sent over SMTP are not kept. To keep one of each message sent from now on, the operator sets KEEP_SENT_MESSAGES=true.`,
  );
}
