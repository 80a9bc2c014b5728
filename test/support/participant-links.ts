import { DataSource } from 'typeorm';
import { BackgroundTasks } from '../../src/common/async/background-tasks';
import { Message } from '../../src/messages/message.entity';
import type { ReceivedMail, SmtpTestServer } from './smtp-test-server';
import { bearer, eventually, type TestApp } from './test-app';

export type ProgramKeys = { id: string; secretKey: string; publishableKey: string };

/**
 * Asks for a verification or reset email through the public API, as a microsite would, and
 * returns the one-time link in it: read where the participant reads it, in the email received.
 */
export async function oneTimeLink(
  t: TestApp,
  smtp: SmtpTestServer,
  program: ProgramKeys,
  route: 'verification' | 'password-reset',
  email: string,
): Promise<string> {
  await t.http
    .post(`/v1/public/${route}`)
    .set(bearer(program.publishableKey))
    .send({ email })
    .expect(202);
  await t.app.get(BackgroundTasks).idle();
  const message = await t.app
    .get(DataSource)
    .getRepository(Message)
    .findOneOrFail({
      where: { programId: program.id, templateKey: route, toEmail: email },
      order: { createdAt: 'DESC' },
    });
  const mail = await deliveredMail(t, smtp, message.id);
  const link = /https?:\/\/[^\s<>"]+\?token=[A-Za-z0-9_-]+/.exec(mail.text ?? '');
  if (!link) throw new Error(`no one-time link in the ${route} email to ${email}`);
  return link[0];
}

/** The email of an outbox row, as the SMTP server received it. */
export async function deliveredMail(
  t: TestApp,
  smtp: SmtpTestServer,
  messageId: string,
): Promise<ReceivedMail> {
  return eventually(async () => {
    const m = await t.app.get(DataSource).getRepository(Message).findOneByOrFail({ id: messageId });
    if (m.status === 'failed') throw new Error(`message ${messageId} failed: ${JSON.stringify(m)}`);
    return m.status === 'sent' ? smtp.received.find((r) => r.messageId === m.messageId) : undefined;
  }, 20000);
}

/** The path and query of a link, to fetch it from the app under test whatever host it names. */
export const pathOf = (link: string): string => {
  const url = new URL(link);
  return url.pathname + url.search;
};
