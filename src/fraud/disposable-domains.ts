import { disposableEmailBlocklistSet } from 'disposable-email-domains-js';
import { domainOf } from './email-normalisation';

// The community-maintained list (github.com/disposable-email-domains), read once on first use.
let blocklist: Set<string> | null = null;

/**
 * Whether an address is at a disposable (throwaway) mail domain, or a subdomain of one:
 * `x@mailinator.com` and `x@eu.mailinator.com` both are.
 */
export function isDisposableAddress(address: string): boolean {
  const domain = domainOf(address);
  if (!domain) return false;
  blocklist ??= disposableEmailBlocklistSet();
  const labels = domain.split('.');
  // Each parent domain down to the registrable one (two labels).
  for (let i = 0; i <= labels.length - 2; i++) {
    if (blocklist.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}
