import type { OAuthProviderName } from '../oauth/oauth-providers';

/** How an account logs in: a stored password, or XOAUTH2 with an OAuth grant of the program. */
export type AuthType = 'password' | 'oauth2';

/** What the API says about an account's login; never a secret. */
export type AccountAuth =
  { type: 'password' } | { type: 'oauth2'; provider: OAuthProviderName; email: string };

export function accountAuth(
  row: { authType: AuthType; oauthProvider: OAuthProviderName | null },
  email: string | null,
): AccountAuth {
  if (row.authType === 'oauth2' && row.oauthProvider)
    return { type: 'oauth2', provider: row.oauthProvider, email: email ?? '' };
  return { type: 'password' };
}
