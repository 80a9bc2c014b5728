import { VALIDATION_DETAIL_CODES } from './detail-codes';

/**
 * What every code the service answers with means: an error body's `code`, a `details[].code`, a
 * message's `error.code`, a skipped action's `reason`. The README's table is generated from this
 * list and the codes found in src/ (scripts/error-codes.js); a test fails when a code is thrown
 * without being described here, or described but no longer thrown.
 */
export const ERROR_CODES: Readonly<Record<string, string>> = {
  // Keys and requests
  API_KEY_MISSING: 'No `Authorization: Bearer <key>` header.',
  API_KEY_INVALID:
    'The key is unknown (rotated, mistyped) or is not the operator token a route needs.',
  PUBLISHABLE_KEY_NOT_ALLOWED: 'A publishable key (`pk_`) on a route that needs the secret key.',
  SECRET_KEY_NOT_ALLOWED:
    'The secret key (`sk_`) on a public route; those take the publishable key.',
  CSRF_TOKEN_INVALID: 'A console form without its security token, or with an expired one.',
  BAD_REQUEST: 'A request the framework refused (a NUL character in the URL, for one).',
  UNAUTHORIZED: 'Refused by the framework for want of credentials.',
  FORBIDDEN: 'Refused by the framework: not allowed.',
  NOT_FOUND:
    'No such route, or no such object in this program (another program’s object is 404 too).',
  METHOD_NOT_ALLOWED: 'The route does not take this HTTP method.',
  CONFLICT: 'Refused by the framework: a conflict with the current state.',
  UNPROCESSABLE: 'Refused by the framework: the request is understood but cannot be done.',
  PAYLOAD_TOO_LARGE: 'The body is over `BODY_LIMIT_BYTES`.',
  UNSUPPORTED_MEDIA_TYPE:
    'A body in a content type the route does not read (JSON, or CSV for the import).',
  MALFORMED_JSON: 'The body is not valid JSON.',
  JSON_TOO_DEEP: 'The body nests objects and arrays deeper than allowed.',
  FORBIDDEN_KEY: '`__proto__`, `constructor` or `prototype` as a key in the body.',
  VALIDATION_FAILED:
    'Invalid fields; `details` has one entry per field, with a code of the table below.',
  RATE_LIMITED: 'Too many requests; `Retry-After` says when to try again.',
  CURSOR_INVALID: 'A paging cursor that is not the `nextCursor` of a previous page.',
  SERVICE_UNAVAILABLE: 'The database is unreachable for a moment; nothing was changed.',
  SERVICE_BUSY: 'Too many password checks at once; try again in a second (503 with `Retry-After`).',
  INTERNAL_ERROR: 'A bug on our side; the request was not completed.',
  // Validation details (details[].code of VALIDATION_FAILED)
  ...Object.fromEntries(VALIDATION_DETAIL_CODES.map((row) => [row.code, row.meaning])),
  // Programs, participants, events
  PARTICIPANT_EMAIL_REQUIRED:
    'An event or upsert names a participant who does not exist yet, without an email to create them.',
  PARTICIPANT_EMAIL_TAKEN: 'The address belongs to another participant of the program.',
  INVALID_PARTICIPANT_ID: 'A participant id in the path that is not a valid id.',
  CSV_EMPTY: 'The import has no body, or no header row.',
  CSV_HEADER_INVALID: 'The import’s header row lacks `id` and `email`, or names unknown columns.',
  CSV_INVALID: 'The import is not readable CSV.',
  CSV_TOO_MANY_ROWS: 'The import has more rows than one request may.',
  REFERRER_IS_PARTICIPANT: 'An event whose referrer is its participant.',
  IDEMPOTENCY_KEY_INVALID: 'An `Idempotency-Key` header that is empty or too long.',
  IDEMPOTENCY_KEY_MISMATCH: 'The `Idempotency-Key` header and the body’s `idempotencyKey` differ.',
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was used before with a different body.',
  TAX_FORM_LINK_MISSING:
    'A program warning: W-9 notices are on but `settings.links.taxForm` is not set.',
  PAYOUT_DETAILS_LINK_MISSING:
    'A program warning: payout reminders are on but `settings.links.payoutDetails` is not set.',
  // Rules (details[].code of RULE_INVALID, and evaluation)
  RULE_INVALID: 'The rule has problems; `details` lists each with its path and a code below.',
  RULE_CHANGED: 'The rule changed while this change was made; fetch it again.',
  RULE_LIMIT_REACHED: 'The program has `MAX_RULES_PER_PROGRAM` rules already.',
  INVALID_FIELD: 'A rule field of the wrong shape.',
  INVALID_CONDITION: 'A condition that is not `{ fact, operator, value }` or an `all`/`any` group.',
  INVALID_CONDITIONS:
    'A stored rule’s conditions could not be evaluated (shown in the event’s results).',
  INVALID_PATH: 'A condition path that is neither dotted nor JSONPath.',
  UNKNOWN_FACT: 'A condition on a fact other than `event`, `participant`, `referrer`, `program`.',
  UNKNOWN_OPERATOR: 'A condition operator the engine does not have.',
  INVALID_VALUE:
    'A condition value of the wrong type for its operator; or, in validation details, any other check of a field.',
  LIMIT_EXCEEDED: 'A rule with more conditions or actions, or deeper nesting, than allowed.',
  INVALID_ACTION: 'An action with an unknown type, recipient or option.',
  INVALID_AMOUNT:
    'A reward amount that is not positive, or has a fraction of a cent (or of a point).',
  INVALID_CURRENCY: 'A reward currency that is not a three-letter code.',
  UNKNOWN_TEMPLATE: 'An email action naming a template the program does not have.',
  RESERVED_TEMPLATE: 'An email action naming a system email that only its own trigger sends.',
  UNKNOWN_SENDER: 'An email action naming a sender identity the program does not have.',
  UNKNOWN_WEBHOOK: 'A webhook action naming a webhook endpoint the program does not have.',
  RECIPIENT_MISSING:
    'A skipped action: the event has no one to send it to (no referrer, no address).',
  EMAIL_CAP_REACHED:
    'A skipped email: the event already sent its recipient `MAX_EMAILS_PER_EVENT_RECIPIENT` emails.',
  HOLD: 'A pending reward’s reason: it is held for the rule’s `hold` period before it is available.',
  AWAITING_APPROVAL:
    'A pending reward’s reason: the rule’s `approval: "manual"` waits for a person.',
  FRAUD_REVIEW:
    'A pending reward’s reason: a fraud check matched with `onMatch: "hold"`; `PATCH /v1/rewards/:id` approves or denies it.',
  SELF_REFERRAL_SAME_EMAIL:
    'A fraud check: the participant and the referrer have one mailbox (case, `+tags` and Gmail dots ignored).',
  SELF_REFERRAL_SAME_IP:
    'A fraud check: an IP of the participant’s events is one of the referrer’s own events.',
  SELF_REFERRAL_SAME_DEVICE:
    'A fraud check: a device id of the participant’s events is one of the referrer’s own events.',
  DISPOSABLE_DOMAIN:
    'A fraud check: the participant or the referrer has an address at a disposable domain.',
  VELOCITY_LIMIT:
    'A fraud check: the referrer already has `maxRewardsPerReferrer.count` rewards as referrer within its `per`.',
  REFERENCE_MISSING:
    'A skipped `reverse-rewards` action: the event data has no value at its `ref`.',
  INVALID_TRANSITION:
    'A reward change its current state does not allow; the message names the states it can move to.',
  // Templates
  TEMPLATE_INVALID:
    'The template does not compile, names an unknown variable, shows an optional one bare, or is over a limit; `details` has part, line, column.',
  TEMPLATE_KEY_INVALID: 'A template key that is not lowercase letters, digits and dashes.',
  LOCALE_INVALID: 'A locale that is not a supported BCP 47 tag.',
  TEMPLATE_NOT_FOUND: 'No template of this key (or no program override to delete).',
  TEMPLATE_RENDER_FAILED:
    'The data does not fit the template (a variable it lacks, a helper given the wrong kind of value).',
  TEMPLATE_DATA_MISSING:
    'A value the template shows is empty for this message (a required variable without a value); nothing is sent with a blank.',
  TEMPLATE_RENDER_LIMIT:
    'The render asked for more output, time or memory than one render may have.',
  RENDER_WORKER_UNAVAILABLE:
    'No template worker could take the render now (503); try again shortly.',
  TEST_RECIPIENT_NOT_ALLOWED: 'A template test to an address that is not one of the program’s own.',
  // Consent
  CATEGORIES_REQUIRED: 'A preferences change that names no category.',
  CATEGORY_UNKNOWN: 'A category the program does not have.',
  CATEGORY_TRANSACTIONAL: 'Transactional email cannot be unsubscribed from.',
  CATEGORY_NOT_ALLOWED: 'A program’s own key cannot be transactional.',
  CATEGORY_FIXED: 'A system email’s category cannot change.',
  ONE_CLICK_REQUIRED: 'A one-click unsubscribe POST without `List-Unsubscribe=One-Click`.',
  TOKEN_INVALID: 'A verification, reset or preference token that is wrong, expired or used.',
  INVALID_CREDENTIALS: 'A participant sign-in with a wrong address or password.',
  // Messages and delivery (a message’s error.code)
  MESSAGE_CONTENT_WITHHELD:
    'No raw copy: the message holds one-time links, so its content is withheld.',
  MESSAGE_NOT_SENT: 'No raw copy: the message was never sent.',
  MESSAGE_RAW_MISSING: 'The `.eml` the built-in sender wrote is no longer in `DATA_DIR/outbox`.',
  MESSAGE_RAW_NOT_KEPT: 'No raw copy was kept of an SMTP send (see `KEEP_SENT_MESSAGES`).',
  MESSAGE_NOT_RETRYABLE: 'Only a failed or suppressed message can be retried.',
  SUPPRESSION_NOT_FOUND: 'The address is not suppressed: nothing to lift.',
  RECIPIENT_SUPPRESSED:
    'The address is on the program’s suppression list; the message is held back.',
  UNSUBSCRIBED: 'The recipient left this email’s category; the message is held back.',
  SENDING_PAUSED:
    'A quota reply of the server paused the account; the message waits (`notBefore`) until the pause ends.',
  SEND_LIMIT_REACHED:
    'The account’s sending limit (per minute or per day) is used up; the message waits (`notBefore`), it does not fail.',
  DELIVERY_ERROR: 'A delivery failure without a more precise code.',
  PROGRAM_NOT_FOUND: 'An inbound mailbox whose program no longer exists.',
  EML_NAME_UNSAFE: 'The built-in sender refused to write an `.eml` under an unsafe file name.',
  // Webhooks
  WEBHOOK_NOT_FOUND: 'No webhook endpoint with that id in this program.',
  WEBHOOK_URL_INVALID:
    'A webhook URL that is not http(s), has no valid host, or carries a user name or password.',
  WEBHOOK_URL_NOT_ALLOWED:
    'The webhook URL is, or resolves to, a private, loopback or other internal address (allowed only with `WEBHOOK_ALLOW_PRIVATE_HOSTS`).',
  WEBHOOK_DNS_FAILED: 'The webhook URL’s host name was not found in DNS.',
  WEBHOOK_DELIVERY_NOT_FOUND: 'No delivery with that id for this webhook endpoint.',
  WEBHOOK_DELIVERY_NOT_RETRYABLE:
    'Only a failed or waiting webhook delivery can be sent again; this one was delivered or is being sent.',
  // Code pools
  CODE_POOL_NOT_FOUND:
    'No code pool with that id in this program (a route, or a reward action’s `codePool` at save).',
  CODE_POOL_NAME_TAKEN: 'The program already has a code pool with that name.',
  CODE_POOL_EMPTY:
    'A pending reward’s reason: its code pool had no code left; it gets one, oldest reward first, when codes are added.',
  CODES_MISSING: 'An upload of codes without codes: send `{"codes": [...]}` or CSV.',
  CODE_INVALID:
    'An uploaded code that is empty, longer than 200 characters or has control characters.',
  TOO_MANY_CODES: 'More codes in one upload than one request may add (10000).',
  CODE_NOT_FOUND: 'The pool has no such code.',
  CODE_ASSIGNED: 'The code belongs to a reward and cannot be deleted.',
  // SMTP (integration checks and sends)
  SMTP_NOT_CONNECTED: 'No SMTP server is connected for the program.',
  SMTP_PASSWORD_REQUIRED: 'The server or account changed: enter its password again.',
  SMTP_PLAINTEXT_AUTH_REFUSED:
    'A password over a connection without TLS, which the program does not allow.',
  SMTP_SETTINGS_INVALID: 'Stored SMTP settings that cannot be used (host, port or security).',
  SMTP_HOST_NOT_ALLOWED: 'A host on a loopback, private, link-local or metadata address.',
  SMTP_DNS_FAILED: 'The SMTP host name does not resolve.',
  SMTP_CONNECTION_FAILED: 'Nothing answers on that host and port.',
  SMTP_CONNECTION_REJECTED: 'The server refused the connection in its greeting.',
  SMTP_TIMEOUT: 'The server took too long to answer.',
  SMTP_TLS_MISMATCH: 'The port speaks the other kind of TLS: try `ssl` on 465, `tls` on 587.',
  SMTP_TLS_FAILED: 'The TLS handshake failed.',
  SMTP_CERTIFICATE_INVALID:
    'The server’s certificate is not valid for its name, expired or untrusted.',
  SMTP_STARTTLS_UNAVAILABLE: '`tls` was chosen but the server does not offer STARTTLS.',
  SMTP_STARTTLS_REQUIRED: 'The server wants STARTTLS before mail: choose `tls`.',
  SMTP_ENCRYPTION_REQUIRED: 'The server requires an encrypted connection for login.',
  SMTP_AUTH_REQUIRED: 'The server wants a login: enter a username and password.',
  SMTP_AUTH_FAILED: 'The username or password was refused (with the Gmail and Microsoft hints).',
  SMTP_AUTH_UNSUPPORTED: 'The server offers no login method the service can use.',
  SMTP_AUTH_TEMPORARY_FAILURE: 'The server could not check the login just now; it is retried.',
  SMTP_BASIC_AUTH_DISABLED:
    'The provider turned off password login (SMTP AUTH) for the tenant: use OAuth.',
  SMTP_AUTH_DISABLED_FOR_MAILBOX:
    'Microsoft 365 answered 535 5.7.139: SMTP AUTH is off for the mailbox or tenant; an administrator turns it on.',
  SMTP_APP_PASSWORD_REQUIRED: 'The account needs an app password, not its sign-in password.',
  SMTP_XOAUTH2_REFUSED: 'The server refused the OAuth access token.',
  SMTP_RELAY_DENIED: 'The server relays for no login, or not for this one.',
  SMTP_SENDER_REJECTED: 'The From address is not allowed on this server; nobody is suppressed.',
  SMTP_RECIPIENT_UNKNOWN: 'The recipient does not exist (5.1.x); the address is suppressed.',
  SMTP_RECIPIENT_REJECTED: 'The server refused the recipient.',
  SMTP_RECIPIENT_POLICY: 'The server refused the recipient by its policy.',
  SMTP_RECIPIENT_TEMPORARY: 'The recipient is refused for now; it is retried.',
  SMTP_RECIPIENT_MAILBOX_FULL: 'The recipient’s mailbox is full.',
  SMTP_MESSAGE_REJECTED: 'The server refused the message itself (content, policy).',
  SMTP_MESSAGE_TOO_LARGE: 'The message is over the server’s size limit.',
  SMTP_QUOTA_EXCEEDED:
    'The server says the account is over its sending quota: the account pauses until that window ends; the message waits.',
  SMTP_TEMPORARY_FAILURE: 'A 4xx answer; it is retried with backoff.',
  SMTP_PROTOCOL_ERROR: 'The server answered something SMTP does not allow there.',
  SMTP_ERROR: 'Any other SMTP failure, with the server’s answer.',
  // OAuth sign-in of senders
  OAUTH_CLIENT_REJECTED: 'The provider refused the configured OAuth client id or secret.',
  OAUTH_GRANT_INVALID: 'The provider no longer accepts the refresh token.',
  OAUTH_REAUTHORIZATION_REQUIRED:
    'The mailbox must be signed in again (`POST /v1/integrations/oauth/authorize`).',
  OAUTH_TOKEN_ENDPOINT_CHANGED:
    'The provider’s token endpoint changed since the mailbox was connected; sign in again.',
  OAUTH_TOKEN_REFRESH_FAILED:
    'Renewing an OAuth access token failed for now; the message is retried with backoff.',
  OAUTH_TOKEN_ENDPOINT_FAILED:
    'The provider’s token endpoint could not be reached or answered an error.',
  OAUTH_PROVIDER_NOT_CONFIGURED:
    'Sign-in with this provider is not configured (`OAUTH_<PROVIDER>_CLIENT_ID`, `_CLIENT_SECRET`).',
  OAUTH_RETURN_TO_NOT_ALLOWED:
    '`returnTo` is neither on this service nor on the program’s microsite.',
  OAUTH_FIELD_NOT_APPLICABLE:
    'A field of the authorize request that does not apply to what is connected.',
  OAUTH_SENDER_ID_REQUIRED: 'Connecting a sender identity without naming the sender.',
  OAUTH_STATE_INVALID: 'A sign-in callback this service did not start.',
  OAUTH_STATE_EXPIRED: 'The sign-in took too long and expired; start again.',
  OAUTH_STATE_USED: 'The sign-in was already completed; each one works once.',
  OAUTH_ACCESS_DENIED: 'The sign-in was cancelled, or the mail permissions declined.',
  OAUTH_AUTHORIZATION_FAILED: 'The provider answered the sign-in with an error.',
  OAUTH_CODE_MISSING: 'The provider sent no authorization code back.',
  OAUTH_CODE_REJECTED:
    'The provider refused to exchange the authorization code (expired, reused, PKCE mismatch).',
  OAUTH_NO_REFRESH_TOKEN:
    'The provider granted no refresh token, so the connection could not last.',
  OAUTH_CONNECT_FAILED: 'Saving the connected account failed on this service; nothing was saved.',
  // Sender identities, sender domain, inbound mailbox
  INVALID_SENDER_ID: 'A sender id in the path that is not a valid id.',
  SENDER_PASSWORD_REQUIRED: 'A sender identity needs its password (again, for a changed server).',
  SENDER_DOMAIN_NOT_SET: 'No sender domain is set.',
  SENDER_DOMAIN_INVALID: 'A sender domain that is not a valid public domain name.',
  SENDER_DOMAIN_NOT_VERIFIED: 'A message would be signed for a domain that is not verified.',
  SENDER_DOMAIN_UNVERIFIED:
    'The sender domain stopped passing its DNS check after its grace period; mail waits.',
  FROM_DOMAIN_MISMATCH: 'The From address is not at the sender domain.',
  RECORD_MISSING: 'A DNS record of the sender domain is not published.',
  VALUE_MISMATCH: 'A DNS record is published with another value than the one listed.',
  MULTIPLE_RECORDS: 'More than one record where one is needed (two SPF records, for one).',
  LOOKUP_FAILED: 'The DNS lookup of a record failed.',
  MAILBOX_NOT_CONNECTED: 'No inbound mailbox is connected.',
  MAILBOX_PASSWORD_REQUIRED: 'The mailbox’s server or account changed: enter its password again.',
  IMAP_HOST_NOT_ALLOWED: 'An IMAP host on a loopback, private, link-local or metadata address.',
  IMAP_DNS_FAILED: 'The IMAP host name does not resolve.',
  IMAP_CONNECTION_FAILED: 'Nothing answers on that IMAP host and port.',
  IMAP_TIMEOUT: 'The IMAP server took too long to answer.',
  IMAP_TLS_FAILED: 'The IMAP TLS handshake failed.',
  IMAP_CERTIFICATE_INVALID: 'The IMAP server’s certificate is not valid.',
  IMAP_STARTTLS_UNAVAILABLE: 'The IMAP server does not offer STARTTLS.',
  IMAP_PLAINTEXT_AUTH_REFUSED: 'An IMAP password over a connection without TLS.',
  IMAP_AUTH_FAILED: 'The IMAP username or password was refused.',
  IMAP_XOAUTH2_REFUSED: 'The IMAP server refused the OAuth access token.',
  IMAP_FOLDER_NOT_FOUND: 'The mailbox has no folder of that name.',
  IMAP_SENT_FOLDER_NOT_FOUND: 'No Sent folder was found to save a copy in.',
  IMAP_APPEND_FAILED: 'Saving the copy to the Sent folder failed.',
  IMAP_ERROR: 'Any other IMAP failure.',
  // Secrets sealed with APP_SECRET
  SECRET_KEY_UNKNOWN:
    'A stored secret sealed under an `APP_SECRET` the service no longer has (see Rotating APP_SECRET).',
  SECRET_AUTH_FAILED: 'A stored secret that does not open: altered, or bound to another program.',
  SECRET_MALFORMED: 'A stored secret that is not in the sealed format.',
  SECRET_UNSUPPORTED_VERSION: 'A stored secret sealed by a newer version of the service.',
};
