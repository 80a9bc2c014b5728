import type { XOAuth2Login } from './xoauth2';

/**
 * How the connection to a program's SMTP server is secured:
 * - `none`: plaintext, never upgraded;
 * - `tls`: STARTTLS, required (the connection fails rather than continue unencrypted);
 * - `ssl`: implicit TLS from the first byte.
 */
export type SmtpSecurity = 'none' | 'tls' | 'ssl';

export const SMTP_SECURITY_VALUES: readonly SmtpSecurity[] = ['none', 'tls', 'ssl'];

export interface SmtpSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  username?: string;
  password?: string;
  /** An OAuth 2.0 login (XOAUTH2) as `username`, instead of a password. */
  oauth2?: XOAuth2Login;
  /** With `none`, lets the username and password travel unencrypted (trusted networks only). */
  allowInsecure?: boolean;
}

export const DEFAULT_SMTP_PORTS: Readonly<Record<SmtpSecurity, number>> = {
  none: 25,
  tls: 587,
  ssl: 465,
};

export function defaultSmtpPort(security: SmtpSecurity): number {
  return DEFAULT_SMTP_PORTS[security];
}

/** Ports a program may point an SMTP or IMAP connection at when private hosts are not allowed. */
export const MAIL_PORTS: ReadonlySet<number> = new Set([25, 465, 587, 2525, 143, 993]);
