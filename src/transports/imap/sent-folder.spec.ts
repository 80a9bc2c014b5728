import {
  chooseSentFolder,
  defaultImapSettings,
  isGoogleMailHost,
  savesToSent,
  type MailboxEntry,
} from './sent-folder';

const box = (path: string, extra: Partial<MailboxEntry> = {}): MailboxEntry => ({
  path,
  flags: new Set(),
  ...extra,
});

describe('chooseSentFolder', () => {
  it.each<[string, MailboxEntry[], string | undefined]>([
    [
      'the folder the server flags \\Sent, over a usual name',
      [
        box('INBOX'),
        box('Sent'),
        box('Outgoing', { specialUse: '\\Sent', specialUseSource: 'extension' }),
      ],
      'Outgoing',
    ],
    [
      'a flag without a stated source',
      [box('Sent'), box('Posted', { specialUse: '\\Sent' })],
      'Posted',
    ],
    ['"Sent" by name', [box('INBOX'), box('Drafts'), box('Sent')], 'Sent'],
    ['"Sent Items" by name, any case', [box('INBOX'), box('sent items')], 'sent items'],
    ["Gmail's folder", [box('INBOX'), box('[Gmail]/Sent Mail')], '[Gmail]/Sent Mail'],
    ['a Spanish name', [box('INBOX'), box('Enviados')], 'Enviados'],
    ['a folder under INBOX', [box('INBOX'), box('INBOX.Sent')], 'INBOX.Sent'],
    [
      "a known name before the client's own guess",
      [box('Enviadas', { specialUse: '\\Sent', specialUseSource: 'name' }), box('Sent Messages')],
      'Sent Messages',
    ],
    [
      "the client's guess when nothing else matches",
      [box('INBOX'), box('Enviadas', { specialUse: '\\Sent', specialUseSource: 'name' })],
      'Enviadas',
    ],
    [
      'nothing when no folder holds sent mail',
      [box('INBOX'), box('Drafts'), box('Archive')],
      undefined,
    ],
  ])('picks %s', (_label, entries, expected) => {
    expect(chooseSentFolder(entries)).toBe(expected);
  });

  it('skips folders that cannot be selected', () => {
    expect(
      chooseSentFolder([box('Sent', { flags: new Set(['\\Noselect']) }), box('Sent Items')]),
    ).toBe('Sent Items');
  });
});

describe('savesToSent', () => {
  it.each<[Parameters<typeof savesToSent>[0], string, boolean]>([
    ['auto', 'smtp.example.com', true],
    ['auto', 'smtp.gmail.com', false],
    ['auto', 'smtp-relay.gmail.com', false],
    ['auto', 'aspmx.l.google.com', false],
    ['auto', 'SMTP.GoogleMail.com.', false],
    ['on', 'smtp.gmail.com', true],
    ['off', 'smtp.example.com', false],
  ])('%s on %s → %s', (mode, host, expected) => {
    expect(savesToSent(mode, host)).toBe(expected);
  });

  it('does not take look-alike hosts for Google', () => {
    expect(isGoogleMailHost('smtp.notgmail.com')).toBe(false);
    expect(isGoogleMailHost('gmail.com.evil.test')).toBe(false);
  });
});

describe('defaultImapSettings', () => {
  it.each([
    ['smtp.example.com', 'imap.example.com'],
    ['mail.example.com', 'mail.example.com'],
    ['smtp.office365.com', 'outlook.office365.com'],
    ['SMTP.Example.COM.', 'imap.example.com'],
  ])('%s → %s on 993 with SSL', (smtp, imap) => {
    expect(defaultImapSettings(smtp)).toEqual({ host: imap, port: 993, security: 'ssl' });
  });
});
