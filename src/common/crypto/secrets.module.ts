import { Module } from '@nestjs/common';
import { IntegrationSecrets } from './integration-secrets';

/** Seals credentials and keys at rest with APP_SECRET, each bound to its program. */
@Module({ providers: [IntegrationSecrets], exports: [IntegrationSecrets] })
export class SecretsModule {}
