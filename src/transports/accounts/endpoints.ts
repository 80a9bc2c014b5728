import type { SmtpSecurity } from '../smtp/smtp-settings';

/** Where a stored secret may be sent: the exact server it was entered and verified for. */
export interface Endpoint {
  host: string;
  port: number;
  security: SmtpSecurity;
}

/** One string per endpoint: a changed host, port or security is another endpoint. */
export function endpointKey(e: Endpoint): string {
  return `${e.host.trim().toLowerCase().replace(/\.$/, '')}:${e.port}:${e.security}`;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return endpointKey(a) === endpointKey(b);
}

/**
 * A stored password asked for at an endpoint it was not entered for (the program's server moved,
 * or the IMAP server changed): it is not sent, and the person must enter it again.
 */
export class SecretEndpointError extends Error {
  readonly permanent = true;

  constructor(
    readonly code: 'SENDER_PASSWORD_REQUIRED' | 'SMTP_PASSWORD_REQUIRED',
    message: string,
  ) {
    super(message);
    this.name = 'SecretEndpointError';
  }
}
