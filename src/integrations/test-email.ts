import type { Program } from '../programs/program.entity';
import type { OutgoingMessage } from '../transports/smtp/smtp-sender';
import type { MailAddress } from '../transports/mail-route';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** The email a "send test" button sends: says which server and account carried it. */
export function buildTestEmail(
  program: Pick<Program, 'name'>,
  from: MailAddress,
  to: string,
  via: { host: string; port: number; username?: string | null },
): OutgoingMessage {
  const account = via.username ? ` as ${via.username}` : '';
  const lines = [
    `This is a test email from ${program.name}.`,
    `It was sent through ${via.host}:${via.port}${account}, from ${from.address}.`,
    'If you can read it, these settings work.',
  ];
  return {
    from: { address: from.address, name: from.name ?? '' },
    to,
    subject: `Test email from ${program.name}`,
    text: `${lines.join('\n\n')}\n`,
    html: `<!doctype html><html><body>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</body></html>`,
  };
}
