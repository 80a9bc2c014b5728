import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../../programs/auth/auth.decorators';
import { Program } from '../../programs/program.entity';
import { OAuthProviders } from '../../transports/oauth/oauth-providers';
import {
  OAuthAuthorizeDto,
  OAuthAuthorizeResponse,
  OAuthProvidersResponse,
} from './dto/oauth-authorize.dto';
import { OAuthFlow } from './oauth-flow.service';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1/integrations/oauth')
export class OAuthController {
  constructor(
    private readonly flow: OAuthFlow,
    private readonly providers: OAuthProviders,
  ) {}

  @Post('authorize')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Start connecting the SMTP integration, a sender identity or the inbound mailbox with Microsoft or Google (OAuth 2.0, XOAUTH2): send the browser to authorizeUrl. Nothing is saved until the provider sends it back to /oauth/callback and the login is verified.',
  })
  @ApiResponse({ status: 200, type: OAuthAuthorizeResponse })
  @ApiResponse({
    status: 400,
    description:
      'OAUTH_PROVIDER_NOT_CONFIGURED, OAUTH_RETURN_TO_NOT_ALLOWED, OAUTH_SENDER_ID_REQUIRED, OAUTH_FIELD_NOT_APPLICABLE, INVALID_SENDER_ID, VALIDATION_FAILED',
  })
  @ApiResponse({ status: 409, description: 'SMTP_NOT_CONNECTED (a sender needs the integration)' })
  @ApiResponse({
    status: 422,
    description: 'SMTP_HOST_NOT_ALLOWED: the server named may not be used',
  })
  authorize(@CurrentProgram() program: Program, @Body() dto: OAuthAuthorizeDto) {
    return this.flow.authorize(program, dto);
  }

  @Get('providers')
  @ApiOperation({
    summary:
      'The providers this service offers (those configured), and the redirect URI registered with them.',
  })
  @ApiResponse({ status: 200, type: OAuthProvidersResponse })
  list(): OAuthProvidersResponse {
    return {
      items: this.providers.list().map((p) => ({ name: p.name, label: p.label })),
      redirectUri: this.flow.redirectUri,
    };
  }
}
