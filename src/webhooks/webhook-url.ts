import { isIP } from 'node:net';
import {
  blockedAddressReason,
  normalizeHost,
  systemResolver,
  type HostResolver,
  type ResolvedAddress,
} from '../transports/smtp/host-guard';

/** Why a webhook URL cannot be used, with the code the API answers with. */
export class WebhookUrlError extends Error {
  constructor(
    readonly code: 'WEBHOOK_URL_INVALID' | 'WEBHOOK_URL_NOT_ALLOWED' | 'WEBHOOK_DNS_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** Where to send: the URL, and the checked address to connect to (so DNS cannot change in between). */
export interface CheckedWebhookUrl {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** The URL's shape alone: http(s), a valid host, no user or password in it. */
export function parseWebhookUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new WebhookUrlError('WEBHOOK_URL_INVALID', `${JSON.stringify(input)} is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new WebhookUrlError(
      'WEBHOOK_URL_INVALID',
      'A webhook URL starts with https:// or http://.',
    );
  if (url.username || url.password)
    throw new WebhookUrlError(
      'WEBHOOK_URL_INVALID',
      'A webhook URL cannot carry a user name or password; the signature authenticates each request.',
    );
  if (!normalizeHost(url.hostname))
    throw new WebhookUrlError('WEBHOOK_URL_INVALID', `${url.hostname} is not a valid host name.`);
  return url;
}

/**
 * The SSRF guard for webhook URLs, as the SMTP host guard does for mail servers: every address
 * the name resolves to must be public unless private hosts are allowed.
 */
export async function checkWebhookUrl(
  input: string,
  options: { allowPrivateHosts: boolean; resolver?: HostResolver },
): Promise<CheckedWebhookUrl> {
  const url = parseWebhookUrl(input);
  const host = normalizeHost(url.hostname)!;
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await (options.resolver ?? systemResolver)(host);
    } catch {
      throw new WebhookUrlError(
        'WEBHOOK_DNS_FAILED',
        `The host name ${host} could not be found in DNS. Check the webhook URL.`,
      );
    }
    if (addresses.length === 0)
      throw new WebhookUrlError(
        'WEBHOOK_DNS_FAILED',
        `The host name ${host} has no address in DNS.`,
      );
  }
  if (!options.allowPrivateHosts) {
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      // The resolved address is not echoed: it would let a caller map internal DNS.
      if (reason)
        throw new WebhookUrlError(
          'WEBHOOK_URL_NOT_ALLOWED',
          `${host} ${literal ? 'is' : 'resolves to'} ${reason}; webhooks go to public addresses only.`,
        );
    }
  }
  return { url, address: addresses[0].address, family: addresses[0].family };
}
