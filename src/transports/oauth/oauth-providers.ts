import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app.config';
import type { Endpoint } from '../accounts/endpoints';

export type OAuthProviderName = 'microsoft' | 'google';
export const OAUTH_PROVIDER_NAMES: readonly OAuthProviderName[] = ['microsoft', 'google'];

/** What a program connects with OAuth: its SMTP server, a sender identity, or the inbound mailbox. */
export type OAuthPurpose = 'integration' | 'sender' | 'inbound-mailbox';
export const OAUTH_PURPOSES: readonly OAuthPurpose[] = ['integration', 'sender', 'inbound-mailbox'];

/** One configured OAuth 2.0 provider: its client, its endpoints, and the mail servers it signs in to. */
export interface OAuthProvider {
  name: OAuthProviderName;
  /** As people know it: `Microsoft`, `Google`. */
  label: string;
  clientId: string;
  clientSecret?: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** Where XOAUTH2 logins go unless the request names another server. */
  smtp: Endpoint;
  imap: Endpoint;
  /** Scopes to ask for; IMAP access only when a Sent copy or a mailbox is read. */
  scopes(options: { imap: boolean }): string[];
  /** Parameters of the authorization request besides the standard ones. */
  authorizeParams(email: string): Record<string, string>;
}

const MICROSOFT_SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send';
const MICROSOFT_IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';

function microsoft(config: AppConfig): OAuthProvider | undefined {
  if (!config.OAUTH_MICROSOFT_CLIENT_ID) return undefined;
  const base = `https://login.microsoftonline.com/${encodeURIComponent(config.OAUTH_MICROSOFT_TENANT)}/oauth2/v2.0`;
  return {
    name: 'microsoft',
    label: 'Microsoft',
    clientId: config.OAUTH_MICROSOFT_CLIENT_ID,
    clientSecret: config.OAUTH_MICROSOFT_CLIENT_SECRET,
    authorizeUrl: config.OAUTH_MICROSOFT_AUTHORIZE_URL ?? `${base}/authorize`,
    tokenUrl: config.OAUTH_MICROSOFT_TOKEN_URL ?? `${base}/token`,
    smtp: { host: 'smtp.office365.com', port: 587, security: 'tls' },
    imap: { host: 'outlook.office365.com', port: 993, security: 'ssl' },
    // offline_access is what yields a refresh token.
    scopes: ({ imap }) => [
      MICROSOFT_SMTP_SCOPE,
      ...(imap ? [MICROSOFT_IMAP_SCOPE] : []),
      'offline_access',
    ],
    authorizeParams: (email) => ({ login_hint: email, response_mode: 'query' }),
  };
}

function google(config: AppConfig): OAuthProvider | undefined {
  if (!config.OAUTH_GOOGLE_CLIENT_ID) return undefined;
  return {
    name: 'google',
    label: 'Google',
    clientId: config.OAUTH_GOOGLE_CLIENT_ID,
    clientSecret: config.OAUTH_GOOGLE_CLIENT_SECRET,
    authorizeUrl:
      config.OAUTH_GOOGLE_AUTHORIZE_URL ?? 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: config.OAUTH_GOOGLE_TOKEN_URL ?? 'https://oauth2.googleapis.com/token',
    smtp: { host: 'smtp.gmail.com', port: 465, security: 'ssl' },
    imap: { host: 'imap.gmail.com', port: 993, security: 'ssl' },
    // One scope covers SMTP and IMAP alike.
    scopes: () => [GOOGLE_MAIL_SCOPE],
    // Google gives a refresh token only with offline access, and again only with consent asked.
    authorizeParams: (email) => ({ login_hint: email, access_type: 'offline', prompt: 'consent' }),
  };
}

/** The OAuth providers this deployment offers: those with a client id in the configuration. */
@Injectable()
export class OAuthProviders {
  private readonly byName: ReadonlyMap<OAuthProviderName, OAuthProvider>;

  constructor(config: AppConfig) {
    const providers = [microsoft(config), google(config)].filter(
      (p): p is OAuthProvider => p !== undefined,
    );
    this.byName = new Map(providers.map((p) => [p.name, p]));
  }

  /** Configured providers, Microsoft first. */
  list(): OAuthProvider[] {
    return [...this.byName.values()];
  }

  get(name: string): OAuthProvider | undefined {
    return this.byName.get(name as OAuthProviderName);
  }
}

export function providerLabel(name: string): string {
  return name === 'google' ? 'Google' : name === 'microsoft' ? 'Microsoft' : name;
}
