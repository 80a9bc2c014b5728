import { TAG_LENGTH } from '../common/crypto/tags';

const TAG = new RegExp(`^[a-z2-7]{${TAG_LENGTH}}$`);

/** The envelope sender of a message the built-in sender sends: bounces come back to it. */
export function returnPathAddress(tag: string, host: string): string {
  return `b-${tag}@${host}`;
}

/** The address a program's people and participants write to, to reach the program. */
export function forwardingAddress(programTag: string, inboundDomain: string): string {
  return `in-${programTag}@${inboundDomain}`;
}

export type InboundAddress =
  | { kind: 'return-path'; tag: string; domain: string }
  | { kind: 'forwarding'; programTag: string; domain: string }
  // A List-Unsubscribe mailto: address; its local part is checked by consent (an HMAC).
  | { kind: 'unsubscribe'; localPart: string; domain: string };

/**
 * What an address the listener is asked to take means, or null when it is none of ours (it is
 * then refused at RCPT: never an open relay). Return paths are taken at INBOUND_DOMAIN and at a
 * `bounces.` host (a verified custom domain's return-path CNAME, checked by the caller).
 */
export function decodeInboundAddress(
  address: string,
  inboundDomain: string,
): InboundAddress | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const local = address.slice(0, at).toLowerCase();
  const domain = address
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  const inbound = inboundDomain.toLowerCase();
  if (
    local.startsWith('b-') &&
    TAG.test(local.slice(2)) &&
    (domain === inbound || domain.startsWith('bounces.'))
  ) {
    return { kind: 'return-path', tag: local.slice(2), domain };
  }
  if (local.startsWith('in-') && TAG.test(local.slice(3)) && domain === inbound) {
    return { kind: 'forwarding', programTag: local.slice(3), domain };
  }
  if (local.startsWith('u-') && /^u-[a-z2-7]{36}$/.test(local) && domain === inbound) {
    return { kind: 'unsubscribe', localPart: local, domain };
  }
  return null;
}
