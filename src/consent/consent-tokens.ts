import { Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { SecretBox } from '../common/crypto/secret-box';
import { TAG_LENGTH } from '../common/crypto/tags';
import { AppConfig, previousSecrets } from '../config/app.config';

/** Who an unsubscribe link is for: one participant of one program, about one category. */
export interface ConsentRef {
  programId: string;
  participantId: string;
  category: string;
}

// Sealed values of other purposes are bound to a program id; this context never is one, so no
// credential opens as a token, nor a token as a credential.
const TOKEN_CONTEXT = 'consent/unsubscribe-link';
const MAX_TOKEN_LENGTH = 1024;
const MAILTO_MAC_BYTES = 10;
const MAILTO_SALT = Buffer.from('referral-notify/consent');
const MAILTO_INFO = Buffer.from('mailto-unsubscribe/v1');
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const MAILTO_LOCAL = new RegExp(`^u-([a-z2-7]{${TAG_LENGTH}})([a-z2-7]{16})$`);

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

const isCanonicalBase64url = (part: string) =>
  /^[A-Za-z0-9_-]+$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;

/**
 * The two ways an email says who may leave what, without saying it readably:
 * - the link's token: program, participant and category sealed with AES-256-GCM under a key
 *   derived from APP_SECRET (so it is both secret and authenticated: an edited token does not
 *   open), and opened again with APP_SECRET_PREVIOUS while the secret is rotated;
 * - the `mailto:` address `u-<tag><mac>`: the message's own return-path tag (which names
 *   program, participant and category in the outbox) and an HMAC of it, short and lower-case
 *   as a mailbox name must be. Knowing a message's bounce address is not enough to forge it.
 */
@Injectable()
export class ConsentTokens {
  private readonly box: SecretBox;
  /** The current key first, then the earlier secrets' while they are being rotated out. */
  private readonly macKeys: Buffer[];

  constructor(config: AppConfig) {
    if (!config.APP_SECRET) throw new Error('APP_SECRET is needed to sign unsubscribe links');
    const secrets = [config.APP_SECRET, ...previousSecrets(config)];
    this.box = new SecretBox(config.APP_SECRET, previousSecrets(config));
    this.macKeys = secrets.map((s) =>
      Buffer.from(hkdfSync('sha256', Buffer.from(s, 'utf8'), MAILTO_SALT, MAILTO_INFO, 32)),
    );
  }

  seal(ref: ConsentRef): string {
    return this.box.seal(
      JSON.stringify([ref.programId, ref.participantId, ref.category]),
      TOKEN_CONTEXT,
    );
  }

  /** What a token names, or null for anything this service did not seal as a token. */
  open(token: string): ConsentRef | null {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
    // Only the one spelling this service wrote: base64url's last character can carry bits a
    // decoder drops, and a token edited there must not open all the same.
    if (!token.split('.').slice(1).every(isCanonicalBase64url)) return null;
    let value: unknown;
    try {
      value = JSON.parse(this.box.open(token, TOKEN_CONTEXT));
    } catch {
      return null;
    }
    if (!Array.isArray(value) || value.length !== 3 || !value.every(isText)) return null;
    const [programId, participantId, category] = value as [string, string, string];
    return { programId, participantId, category };
  }

  /** The local part of a message's unsubscribe address. */
  mailtoLocalPart(returnPathTag: string): string {
    return `u-${returnPathTag}${this.mac(this.macKeys[0], returnPathTag)}`;
  }

  /** The return-path tag an unsubscribe address names, or null when it is not one we made. */
  readMailtoLocalPart(local: string): string | null {
    const match = MAILTO_LOCAL.exec(local.toLowerCase());
    if (!match) return null;
    const [, tag, mac] = match;
    const given = Buffer.from(mac);
    const ok = this.macKeys.some((key) => timingSafeEqual(Buffer.from(this.mac(key, tag)), given));
    return ok ? tag : null;
  }

  private mac(key: Buffer, tag: string): string {
    return base32(
      createHmac('sha256', key).update(`mailto:${tag}`).digest().subarray(0, MAILTO_MAC_BYTES),
    );
  }
}
