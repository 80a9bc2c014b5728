import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { errorBody } from '../../common/errors/error-body';
import { OAuthCallbackResponse } from './dto/oauth-authorize.dto';
import type { Response } from 'express';
import { Auth } from '../../programs/auth/auth.decorators';
import { providerLabel } from '../../transports/oauth/oauth-providers';
import type { ConnectedAccount } from './oauth-accounts.service';
import { OAuthFlow, type CallbackOutcome } from './oauth-flow.service';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

// A browser gets a page, a program the API's JSON: both are documented for every answer.
const HTML = { 'text/html': { schema: { type: 'string' } } };
const ERROR_CONTENT = {
  'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } },
  ...HTML,
};

const WHAT: Record<ConnectedAccount['purpose'], string> = {
  integration: "the program's SMTP server",
  sender: 'a sender identity',
  'inbound-mailbox': 'the inbound mailbox',
};

function page(title: string, lines: string[], link?: { href: string; label: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head>`,
    `<body><main><h1>${escapeHtml(title)}</h1>`,
    ...lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>` : '',
    '</main></body></html>',
  ].join('\n');
}

function render(outcome: CallbackOutcome): { status: number; html: string } {
  const back = outcome.returnTo ? { href: outcome.returnTo, label: 'Back' } : undefined;
  if (!outcome.ok) {
    return {
      status: outcome.error.getStatus(),
      html: page(
        'Not connected',
        [outcome.error.message, `Error code: ${outcome.error.code}`],
        back,
      ),
    };
  }
  const a = outcome.account;
  const sender = a.senderId ? ` (${a.senderId})` : '';
  return {
    status: 200,
    html: page(
      'Connected',
      [
        `${a.email} is connected with ${providerLabel(a.provider)} as ${WHAT[a.purpose]}${sender}. Its login was verified; emails go out through it from now on. You can close this page.`,
      ],
      back,
    ),
  };
}

/** Where Microsoft and Google send the browser back after sign-in; public (the state names the program). */
@ApiTags('integrations')
@ApiExtraModels(OAuthCallbackResponse)
@Controller('oauth')
export class OAuthCallbackController {
  constructor(private readonly flow: OAuthFlow) {}

  @Get('callback')
  @Auth('none')
  @ApiOperation({
    summary:
      'The OAuth 2.0 redirect URI: exchanges the code, verifies the login, saves the account, then redirects to returnTo (with oauth=connected) or shows a page that says what happened (JSON for a client that does not ask for HTML). A refused step (wrong, used or expired state, a code the provider refuses, a login that fails) saves nothing.',
  })
  @ApiQuery({
    name: 'state',
    required: false,
    description: 'As the authorization request sent it.',
  })
  @ApiQuery({ name: 'code', required: false, description: 'The authorization code.' })
  @ApiQuery({
    name: 'error',
    required: false,
    description: 'The provider refused (RFC 6749 4.1.2.1).',
  })
  @ApiQuery({ name: 'error_description', required: false })
  @ApiResponse({
    status: 200,
    description: 'Connected (no returnTo): a page that says so, or the account as JSON.',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(OAuthCallbackResponse) } },
      ...HTML,
    },
  })
  @ApiResponse({ status: 303, description: 'Connected: back to returnTo, with oauth=connected.' })
  @ApiResponse({
    status: 400,
    description:
      'OAUTH_STATE_INVALID, OAUTH_STATE_USED, OAUTH_STATE_EXPIRED, OAUTH_ACCESS_DENIED, OAUTH_AUTHORIZATION_FAILED, OAUTH_CODE_MISSING, OAUTH_CODE_REJECTED: a page says why; nothing was saved.',
    content: ERROR_CONTENT,
  })
  @ApiResponse({
    status: 422,
    description:
      'The login with the new token failed (SMTP_*, IMAP_*, OAUTH_NO_REFRESH_TOKEN): a page says why; nothing was saved.',
    content: ERROR_CONTENT,
  })
  @ApiResponse({
    status: 500,
    description: 'OAUTH_CONNECT_FAILED: saving failed on this service; nothing was saved.',
    content: ERROR_CONTENT,
  })
  @ApiResponse({
    status: 502,
    description:
      "OAUTH_TOKEN_ENDPOINT_FAILED: the provider's token endpoint failed; nothing was saved.",
    content: ERROR_CONTENT,
  })
  @ApiResponse({
    status: 503,
    description: 'OAUTH_PROVIDER_NOT_CONFIGURED: the provider is no longer configured.',
    content: ERROR_CONTENT,
  })
  async callback(
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const outcome = await this.flow.callback(query);
    // The URL holds the authorization code: no page it leads to may see it.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    if (outcome.ok && outcome.returnTo) {
      const url = new URL(outcome.returnTo);
      url.searchParams.set('oauth', 'connected');
      res.status(303).setHeader('Location', url.toString());
      res.end();
      return;
    }
    // A browser (the usual caller) gets a page; a program calling it gets the API's JSON.
    if (!/text\/html/.test(accept ?? '')) {
      if (!outcome.ok) {
        const e = outcome.error;
        res.status(e.getStatus()).json(errorBody(e.getStatus(), e.code, e.message, e.details));
        return;
      }
      const { view, ...account } = outcome.account;
      res.status(200).json({ status: 'connected', ...account, account: view });
      return;
    }
    const { status, html } = render(outcome);
    res.status(status).type('html').send(html);
  }
}
