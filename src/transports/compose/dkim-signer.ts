import { createHash, sign } from 'node:crypto';

/** The key a message is signed with: `d=` and `s=` of the signature. */
export interface DkimSigningKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
}

// Signed when present, once per instance. Besides RFC 6376's list: the consent headers
// (RFC 8058 requires List-Unsubscribe and List-Unsubscribe-Post under the signature) and those
// the service sets for receivers.
const SIGNED_FIELDS = [
  'from',
  'sender',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'to',
  'cc',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'in-reply-to',
  'references',
  'list-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'feedback-id',
  'auto-submitted',
];

// Named once more than they appear (RFC 6376 §8.15 "over-signing"): a From added on the way
// breaks the signature instead of being shown as the sender.
const OVER_SIGNED_FIELDS = ['from'];

interface HeaderField {
  /** Lower-case name. */
  name: string;
  /** The whole field as written, folding included, without the final CRLF. */
  text: string;
}

/** RFC 6376 §3.4.2 relaxed header canonicalization of one field, with its CRLF. */
function relaxedHeader(text: string): string {
  const colon = text.indexOf(':');
  const name = text
    .slice(0, colon)
    .replace(/[ \t]+$/, '')
    .toLowerCase();
  const value = text
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ /, '')
    .replace(/ $/, '');
  return `${name}:${value}\r\n`;
}

/** RFC 6376 §3.4.4 relaxed body canonicalization, on the body's bytes as latin1 text. */
function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
}

function parseHeaders(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      fields[fields.length - 1].text += `\r\n${line}`;
    } else {
      fields.push({ name: line.slice(0, line.indexOf(':')).trim().toLowerCase(), text: line });
    }
  }
  return fields;
}

/** `tag=value` parts joined with `; `, folded so no line passes 78 characters where it can. */
function fold(parts: string[]): string {
  let out = 'DKIM-Signature:';
  let line = out.length;
  for (const [i, part] of parts.entries()) {
    const piece = part + (i < parts.length - 1 ? ';' : '');
    // h= may be long: it folds after its colons (FWS is allowed there).
    for (const [j, chunk] of piece.split(/(?<=:)/).entries()) {
      const sep = j === 0 ? ' ' : '';
      if (line + sep.length + chunk.length > 78 && line > 1) {
        out += `\r\n ${chunk}`;
        line = 1 + chunk.length;
      } else {
        out += sep + chunk;
        line += sep.length + chunk.length;
      }
    }
  }
  return out;
}

/**
 * Adds a DKIM-Signature (rsa-sha256, relaxed/relaxed) to a message with CRLF line ends. The
 * signature covers the fields of SIGNED_FIELDS that are present and over-signs From, which
 * nodemailer's own signer cannot.
 */
export function signDkim(raw: Buffer, key: DkimSigningKey, now = new Date()): Buffer {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const headerBlock = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split + 4);
  const fields = parseHeaders(headerBlock);

  const bodyHash = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');

  // Each name once per instance, taken from the bottom up as a verifier does.
  const names: string[] = [];
  const signed: HeaderField[] = [];
  for (const name of SIGNED_FIELDS) {
    const present = fields.filter((f) => f.name === name).reverse();
    for (const f of present) {
      names.push(name);
      signed.push(f);
    }
    if (present.length > 0 && OVER_SIGNED_FIELDS.includes(name)) names.push(name);
  }

  const unsigned = fold([
    'v=1',
    'a=rsa-sha256',
    'c=relaxed/relaxed',
    `d=${key.domain}`,
    `s=${key.selector}`,
    `t=${Math.floor(now.getTime() / 1000)}`,
    `h=${names.join(':')}`,
    `bh=${bodyHash}`,
    'b=',
  ]);
  const data =
    signed.map((f) => relaxedHeader(f.text)).join('') +
    // The signature's own field last, with an empty b= and no CRLF (RFC 6376 §3.7).
    relaxedHeader(unsigned).slice(0, -2);
  const signature = sign('sha256', Buffer.from(data, 'latin1'), key.privateKeyPem).toString(
    'base64',
  );
  const folded = signature.replace(/(.{72})(?=.)/g, '$1\r\n ');
  return Buffer.concat([Buffer.from(`${unsigned}${folded}\r\n`, 'latin1'), raw]);
}
