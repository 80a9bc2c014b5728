import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../../common/crypto/secrets.module';
import { NotificationsModule } from '../../notifications/notifications.module';
import { AccessTokens } from './access-tokens';
import { OAuthGrant } from './oauth-grant.entity';
import { OAuthProviders } from './oauth-providers';

/**
 * OAuth 2.0 sign-in to mailboxes: the configured providers and the access tokens of the accounts
 * that log in with XOAUTH2, shared by every process through their grants' rows.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OAuthGrant]), SecretsModule, NotificationsModule],
  providers: [OAuthProviders, AccessTokens],
  exports: [OAuthProviders, AccessTokens],
})
export class OAuthModule {}
