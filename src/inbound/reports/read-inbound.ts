/**
 * Reads one inbound message (what came back to the return path or the reply address) and says
 * what it is: a delivery status notification (RFC 3464, or a bounce whose text says the same),
 * an abuse report (RFC 5965 ARF), an automatic reply, or a person's reply. Pure: no I/O but the
 * parse of the given bytes, which never throws (a message that cannot be read as a report is a
 * reply with what could be read) and is bounded (parts, fields, recipients and scanned text are
 * capped; every pattern is linear).
 */
import { createHash } from 'node:crypto';
import {
  MailParser,
  parseAddressHeader,
  type AddressObject,
  type AttachmentStream,
  type HeaderLines,
  type Headers,
  type MailParserOptions,
  type MessageText,
} from 'mailparser';
import { classify, refineStatus, type BounceClass, type StatusSource } from './bounce-class';
import {
  dateOf,
  field,
  fields,
  messageIdOf,
  parseFieldGroups,
  parseHeaderBlock,
  typedAddress,
  type FieldGroup,
} from './report-fields';
import { MAX_TEXT_SCAN, readTextBounce } from './text-bounces';

export type { BounceClass, StatusSource } from './bounce-class';

export type InboundKind = 'dsn' | 'arf' | 'auto-reply' | 'reply';

export interface ReportedRecipient {
  /** Final-Recipient (or the address a text bounce names), as written. */
  address: string;
  action: string /* failed|delayed|delivered|relayed|expanded */;
  /** The most precise enhanced status code the report gives, e.g. 5.1.1 (see statusSource). */
  status: string;
  diagnostic: string | null;
  /** What it means for the recipient; `sender` never suppresses it (see bounce-class.ts). */
  class: BounceClass;
  /** Added: Original-Recipient, the address as our side gave it, when the report says. */
  originalRecipient: string | null;
  /** Added: where `status` was read: the Status field, the diagnostic's code, the text, or words. */
  statusSource: StatusSource;
  /** Added: Remote-MTA, the server that gave the answer, when the report says. */
  remoteMta: string | null;
}

export interface InboundReading {
  kind: InboundKind;
  messageId: string | null; // of the inbound mail itself
  from: { address: string; name: string | null } | null;
  to: string[];
  subject: string | null;
  date: Date | null;
  inReplyTo: string | null;
  references: string[];
  /** The human-readable body: the text parts outside attached messages (HTML as text if none). */
  text: string | null;
  recipients: ReportedRecipient[]; // for dsn (one per recipient block) and for recognised non-standard bounces
  original: {
    messageId: string | null;
    entityRefId: string | null /* X-Entity-Ref-ID */;
    returnPath: string | null;
    to: string[];
    from: string | null;
    date: Date | null;
  };
  feedback: {
    type: string /* abuse|fraud|... */;
    userAgent: string | null;
    originalRcptTo: string[];
    sourceIp: string | null;
    /** Added: Original-Mail-From, the envelope sender of the reported message. */
    originalMailFrom: string | null;
  } | null; // for arf
  autoReplyReason: string | null; // why it counts as automatic, for 'auto-reply'
  reportId: string; // a stable key for "the same report again": hash of the report's identifying fields
  /** Added: the report-type of a multipart/report, lowercased, else null. */
  reportType: string | null;
  /** Added: why the message could not be read to the end (malformed, over a limit), else null. */
  parseError: string | null;
}

// Bounds. The message itself is capped upstream at 10 MB.
const MAX_REPORT_PART = 1024 * 1024; // a delivery-status or feedback-report part
const MAX_ORIGINAL_HEAD = 256 * 1024; // what is kept of the returned message: its header block
const MAX_TEXT = 1024 * 1024; // the body text kept in the reading
const MAX_RECIPIENTS = 1000;
const MAX_REFERENCES = 100;
const MAX_ADDRESSES = 100;
const PARSE_DEADLINE_MS = 30_000;

const PARSER_OPTIONS: MailParserOptions = {
  // Report parts as attachments (read below), not folded into the text.
  keepDeliveryStatus: true,
  // The returned message stays one attachment: its headers are read, its parts are not parsed.
  ignoreEmbedded: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  checksumAlgo: false,
  maxHtmlLengthToParse: 2 * 1024 * 1024,
};

const DELIVERY_STATUS = new Set(['message/delivery-status', 'message/global-delivery-status']);
const FEEDBACK_REPORT = new Set(['message/feedback-report']);
const DISPOSITION = new Set([
  'message/disposition-notification',
  'message/global-disposition-notification',
]);
const ORIGINAL = new Set([
  'text/rfc822-headers',
  'message/global-headers',
  'message/rfc822',
  'message/global',
]);

interface ReportPart {
  type: string;
  content: string;
}

interface Parsed {
  headers: Headers | null;
  headerLines: HeaderLines | null;
  text: string | null;
  parts: ReportPart[];
  error: string | null;
}

/** Reads `raw`; resolves for any input. */
export async function readInbound(raw: Buffer): Promise<InboundReading> {
  let parsed: Parsed;
  try {
    parsed = await parse(raw);
  } catch (err) {
    parsed = { headers: null, headerLines: null, text: null, parts: [], error: errorText(err) };
  }
  try {
    return interpret(raw, parsed);
  } catch (err) {
    // Nothing above should throw; if it does, the message is still a reply.
    return interpret(raw, {
      headers: null,
      headerLines: null,
      text: null,
      parts: [],
      error: errorText(err),
    });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** mailparser's streaming parser: top headers, text, and the report parts, each capped. */
function parse(raw: Buffer): Promise<Parsed> {
  return new Promise((resolve) => {
    const result: Parsed = { headers: null, headerLines: null, text: null, parts: [], error: null };
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) result.error = errorText(err);
      resolve(result);
    };
    const deadline = setTimeout(() => finish(new Error('parse took too long')), PARSE_DEADLINE_MS);
    deadline.unref?.();

    const parser = new MailParser(PARSER_OPTIONS);
    parser.on('headers', (headers: Headers) => (result.headers = headers));
    parser.on('headerLines', (lines: HeaderLines) => (result.headerLines = lines));
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        const text = data.text ?? null;
        result.text = text && text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
        return;
      }
      collect(data, result);
    });
    parser.on('end', () => finish());
    parser.on('error', (err: unknown) => finish(err));
    parser.end(raw);
  });
}

function collect(attachment: AttachmentStream, result: Parsed): void {
  const type = (attachment.contentType || '').toLowerCase();
  const wanted =
    DELIVERY_STATUS.has(type) ||
    FEEDBACK_REPORT.has(type) ||
    DISPOSITION.has(type) ||
    ORIGINAL.has(type);
  // Only the first of each kind matters; more would only cost memory.
  const kindTaken = result.parts.some((p) => sameKind(p.type, type));
  const release = () => {
    if (typeof attachment.release === 'function') attachment.release();
  };
  if (!wanted || kindTaken) {
    attachment.content.resume();
    release();
    return;
  }
  const cap = ORIGINAL.has(type) ? MAX_ORIGINAL_HEAD : MAX_REPORT_PART;
  const chunks: Buffer[] = [];
  let size = 0;
  attachment.content.on('data', (chunk: Buffer) => {
    if (size >= cap) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  attachment.content.once('end', () => {
    result.parts.push({ type, content: Buffer.concat(chunks).subarray(0, cap).toString('utf8') });
    release();
  });
  attachment.content.once('error', release);
}

function sameKind(a: string, b: string): boolean {
  for (const set of [DELIVERY_STATUS, FEEDBACK_REPORT, DISPOSITION, ORIGINAL]) {
    if (set.has(a) && set.has(b)) return true;
  }
  return false;
}

// ---- headers of the inbound message ----

/** Header access over mailparser's map, or over a plain parse of the head when it failed. */
interface HeaderView {
  text(name: string): string | null;
  all(name: string): string[];
  raw(name: string): string | null;
  addresses(name: string): { address: string; name: string | null }[];
  contentType(): { value: string; params: Record<string, string> } | null;
}

function headerView(raw: Buffer, parsed: Parsed): HeaderView {
  const headers = parsed.headers;
  const rawHead = parseHeaderBlock(
    parsed.headerLines
      ? parsed.headerLines.map((l) => l.line).join('\n')
      : raw.subarray(0, MAX_ORIGINAL_HEAD).toString('latin1'),
  );
  const rawOf = (name: string) => field(rawHead, name);
  if (!headers) {
    return {
      text: rawOf,
      all: (name) => fields(rawHead, name),
      raw: rawOf,
      addresses: (name) => addressesOf(fields(rawHead, name)),
      contentType: () => {
        const value = rawOf('content-type');
        if (!value) return null;
        const [type, ...rest] = value.split(';');
        const params: Record<string, string> = {};
        for (const p of rest.slice(0, 20)) {
          const eq = p.indexOf('=');
          if (eq > 0)
            params[p.slice(0, eq).trim().toLowerCase()] = p
              .slice(eq + 1)
              .trim()
              .replace(/^"|"$/g, '');
        }
        return { value: type.trim().toLowerCase(), params };
      },
    };
  }
  const values = (name: string): unknown[] => {
    const v = headers.get(name);
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  return {
    text: (name) => {
      const v = values(name)[0];
      return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
    },
    all: (name) => values(name).filter((v): v is string => typeof v === 'string'),
    raw: rawOf,
    addresses: (name) =>
      values(name)
        .flatMap((v) => flattenAddresses(v as AddressObject))
        .slice(0, MAX_ADDRESSES),
    contentType: () => {
      const v = values('content-type')[0] as { value?: string; params?: Record<string, string> };
      if (!v || typeof v !== 'object' || typeof v.value !== 'string') return null;
      return { value: v.value.toLowerCase(), params: v.params ?? {} };
    },
  };
}

function flattenAddresses(
  object: AddressObject | undefined,
): { address: string; name: string | null }[] {
  const out: { address: string; name: string | null }[] = [];
  const walk = (list: AddressObject['value'] | undefined, depth: number) => {
    for (const entry of list ?? []) {
      if (out.length >= MAX_ADDRESSES) return;
      if (entry.group && depth < 2) walk(entry.group, depth + 1);
      else if (entry.address) out.push({ address: entry.address, name: entry.name || null });
    }
  };
  walk(object?.value, 0);
  return out;
}

function addressesOf(values: string[]): { address: string; name: string | null }[] {
  if (values.length === 0) return [];
  try {
    return flattenAddresses(parseAddressHeader(values.map((v) => v.slice(0, 8192))));
  } catch {
    return [];
  }
}

// ---- the reading ----

const BOUNCE_SENDER =
  /^(?:mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|mdaemon|bounces?)$/i;
const BOUNCE_SUBJECT =
  /^(?:undeliver(?:ed|able)|delivery (?:status notification|failure|failed|has failed|delayed|notification|report)|mail delivery (?:failed|failure|system)|returned mail|failure notice|rejected:|non[- ]?deliver|message (?:not delivered|delivery failed|undeliverable)|delayed mail|warning: (?:message|could not send)|could not send message|unzustellbar|nicht zustellbar|no se puede entregar|n[ãa]o entregue)/i;
const AUTO_SUBJECT =
  /^(?:auto(?:matic)?[ _-]?(?:reply|response|antwort)|autoreply|autorespond|out of (?:the )?office|ooo\b|abwesenheit|automatische antwort|fuera de la oficina|respuesta autom[áa]tica|resposta autom[áa]tica|r[ée]ponse automatique|away from (?:the )?office|on vacation|vacation reply)/i;

function interpret(raw: Buffer, parsed: Parsed): InboundReading {
  const h = headerView(raw, parsed);
  const fromList = h.addresses('from');
  const from = fromList[0] ?? null;
  const subject = h.text('subject');
  const contentType = h.contentType();
  const reportType =
    contentType?.value === 'multipart/report'
      ? (contentType.params['report-type'] ?? '').toLowerCase() || null
      : null;
  const text = parsed.text && parsed.text.trim() !== '' ? parsed.text : null;
  const part = (set: Set<string>) => parsed.parts.find((p) => set.has(p.type));
  const originalPart = part(ORIGINAL);
  const originalHead = originalPart ? parseHeaderBlock(originalPart.content) : [];

  const references = h
    .all('references')
    .flatMap((v) => v.split(/\s+/))
    .map((v) => messageIdOf(v))
    .filter((v): v is string => !!v)
    .slice(0, MAX_REFERENCES);

  const reading: InboundReading = {
    kind: 'reply',
    messageId: messageIdOf(h.text('message-id')),
    from: from ? { address: from.address, name: from.name } : null,
    to: h.addresses('to').map((a) => a.address),
    subject,
    date: dateOf(h.raw('date')),
    inReplyTo: messageIdOf(h.text('in-reply-to')),
    references,
    text,
    recipients: [],
    original: originalOf(originalHead),
    feedback: null,
    autoReplyReason: null,
    reportId: '',
    reportType,
    parseError: parsed.error,
  };

  const looksLikeBounce =
    (from && BOUNCE_SENDER.test(from.address.split('@')[0] ?? '')) ||
    /^mail delivery (?:system|subsystem)$/i.test(from?.name ?? '') ||
    BOUNCE_SUBJECT.test(subject ?? '') ||
    h.raw('x-failed-recipients') !== null;

  const deliveryStatus = part(DELIVERY_STATUS);
  const feedback = part(FEEDBACK_REPORT);
  const disposition = part(DISPOSITION);

  if (feedback && (reportType === 'feedback-report' || reportType === null || !deliveryStatus)) {
    reading.kind = 'arf';
    reading.feedback = feedbackOf(parseFieldGroups(feedback.content, 5)[0] ?? []);
  } else if (
    deliveryStatus ||
    reportType === 'delivery-status' ||
    reportType === 'global-delivery-status'
  ) {
    reading.kind = 'dsn';
    reading.recipients = deliveryStatus ? recipientsOf(deliveryStatus.content) : [];
    if (reading.recipients.length === 0) reading.recipients = fromText(text);
    else if (reading.recipients.some((r) => r.diagnostic === null)) {
      // Dovecot's LDA report has no Diagnostic-Code: its text says why.
      const said = new Map(fromText(text).map((r) => [r.address.toLowerCase(), r.diagnostic]));
      for (const r of reading.recipients)
        r.diagnostic ??= said.get(r.address.toLowerCase()) ?? null;
    }
  } else if (disposition || reportType === 'disposition-notification') {
    // An MDN: Dovecot's rejections (quota, Sieve reject) take this form; anything else is a
    // receipt some client sent by itself.
    const rejected = fromText(text);
    const group = disposition ? (parseFieldGroups(disposition.content, 5)[0] ?? []) : [];
    if (rejected.length > 0) {
      reading.kind = 'dsn';
      reading.recipients = rejected;
    } else {
      reading.kind = 'auto-reply';
      reading.autoReplyReason = `disposition notification${field(group, 'disposition') ? ` (${field(group, 'disposition')})` : ''}`;
    }
    if (!reading.original.messageId) {
      reading.original.messageId = messageIdOf(field(group, 'original-message-id'));
    }
  } else if (looksLikeBounce) {
    const found = fromText(text);
    const failed = h.raw('x-failed-recipients');
    if (found.length === 0 && failed) {
      // Exim names what failed in a header even when its text is unreadable to us.
      const status = refineStatus(null, text?.slice(0, MAX_TEXT_SCAN) ?? null);
      for (const address of failed
        .split(/[\s,]+/)
        .filter((a) => a.includes('@'))
        .slice(0, MAX_RECIPIENTS)) {
        found.push({
          address,
          action: 'failed',
          status: status.status,
          diagnostic: null,
          class: classify('failed', status.status, text?.slice(0, MAX_TEXT_SCAN) ?? null),
          originalRecipient: null,
          statusSource: status.source === 'inferred' ? 'inferred' : 'text',
          remoteMta: null,
        });
      }
    }
    if (found.length > 0) {
      reading.kind = 'dsn';
      reading.recipients = found;
    }
  }

  if (reading.kind === 'reply') {
    const reason = autoReplyReason(h, subject);
    if (reason) {
      reading.kind = 'auto-reply';
      reading.autoReplyReason = reason;
    }
  }

  // A report without the returned headers may still say which message it is about.
  if ((reading.kind === 'dsn' || reading.kind === 'arf') && !reading.original.messageId) {
    reading.original.messageId = reading.inReplyTo ?? references[references.length - 1] ?? null;
  }

  reading.reportId = reportIdOf(reading);
  return reading;
}

function originalOf(head: FieldGroup): InboundReading['original'] {
  const returnPath = field(head, 'return-path');
  return {
    messageId: messageIdOf(field(head, 'message-id')),
    entityRefId: field(head, 'x-entity-ref-id')?.slice(0, 200) ?? null,
    returnPath: typedAddress(returnPath),
    to: addressesOf(fields(head, 'to')).map((a) => a.address),
    from: addressesOf(fields(head, 'from'))[0]?.address ?? null,
    date: dateOf(field(head, 'date')),
  };
}

function recipientsOf(content: string): ReportedRecipient[] {
  const out: ReportedRecipient[] = [];
  for (const group of parseFieldGroups(content)) {
    if (out.length >= MAX_RECIPIENTS) break;
    // Per-message fields come first; a recipient block is one with a Final-Recipient. Dovecot
    // writes both in one block, so a block is taken for what it holds, not for where it stands.
    const address =
      typedAddress(field(group, 'final-recipient')) ??
      typedAddress(field(group, 'original-recipient'));
    if (!address) continue;
    const action =
      (field(group, 'action') ?? 'failed').toLowerCase().split(/[\s(;]/)[0] || 'failed';
    const diagnostic = field(group, 'diagnostic-code');
    const { status, source } = refineStatus(field(group, 'status'), diagnostic);
    out.push({
      address,
      action,
      status,
      diagnostic,
      class: classify(action, status, diagnostic),
      originalRecipient: typedAddress(field(group, 'original-recipient')),
      statusSource: source,
      remoteMta: field(group, 'remote-mta'),
    });
  }
  return out;
}

function fromText(text: string | null): ReportedRecipient[] {
  return readTextBounce(text).map((r) => ({
    address: r.address,
    action: r.action,
    status: r.status,
    diagnostic: r.diagnostic,
    class: classify(r.action, r.status, r.diagnostic),
    originalRecipient: null,
    statusSource: r.statusSource,
    remoteMta: null,
  }));
}

function feedbackOf(group: FieldGroup): NonNullable<InboundReading['feedback']> {
  return {
    type: (field(group, 'feedback-type') ?? 'other').toLowerCase().slice(0, 100),
    userAgent: field(group, 'user-agent'),
    originalRcptTo: fields(group, 'original-rcpt-to')
      .map((v) => typedAddress(v) ?? v.trim())
      .filter((v) => v.includes('@'))
      .slice(0, MAX_ADDRESSES),
    sourceIp: field(group, 'source-ip'),
    originalMailFrom: typedAddress(field(group, 'original-mail-from')),
  };
}

function autoReplyReason(h: HeaderView, subject: string | null): string | null {
  const autoSubmitted = h.raw('auto-submitted');
  if (autoSubmitted && !/^no\b/i.test(autoSubmitted)) return `Auto-Submitted: ${autoSubmitted}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) {
    const value = h.raw(name);
    if (value !== null && !/^no\b/i.test(value)) return `${name}: ${value}`;
  }
  const precedence = h.raw('precedence');
  if (precedence && /^(?:auto_reply|bulk|junk)\b/i.test(precedence))
    return `Precedence: ${precedence}`;
  const suppress = h.raw('x-auto-response-suppress');
  // Exchange and Outlook set this on what they send by themselves (out of office, receipts).
  if (suppress && /\b(?:all|oof|autoreply)\b/i.test(suppress)) {
    return `X-Auto-Response-Suppress: ${suppress}`;
  }
  if (h.raw('x-ms-exchange-inbox-rules-loop') !== null) {
    return `X-MS-Exchange-Inbox-Rules-Loop: ${h.raw('x-ms-exchange-inbox-rules-loop')}`;
  }
  const bare = (subject ?? '').replace(/^(?:\s*(?:re|aw|fw|fwd|rv|enc)\s*:\s*){0,3}/i, '');
  if (AUTO_SUBJECT.test(bare)) return `Subject: ${subject}`;
  return null;
}

function reportIdOf(r: InboundReading): string {
  const identity = {
    kind: r.kind,
    messageId: r.messageId,
    date: r.date ? r.date.toISOString() : null,
    from: r.from?.address.toLowerCase() ?? null,
    original: [r.original.messageId, r.original.entityRefId],
    recipients: r.recipients
      .map((x) => `${x.address.toLowerCase()}|${x.action}|${x.status}`)
      .sort(),
    feedback: r.feedback ? [r.feedback.type, ...r.feedback.originalRcptTo] : null,
    // Without a Message-ID, what it says tells one message from another.
    body:
      r.messageId === null
        ? createHash('sha256')
            .update(`${r.subject ?? ''}\n${(r.text ?? '').slice(0, 65536)}`)
            .digest('hex')
        : null,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}
