import { Module } from '@nestjs/common';
import { SecretsModule } from '../common/crypto/secrets.module';
import { ConsentCoreModule } from '../consent/consent-core.module';
import { DatabaseModule } from '../database/database.module';
import { MessagesModule } from '../messages/messages.module';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { TemplatesModule } from '../templates/templates.module';
import { MetricsModule } from '../metrics/metrics.module';
import { NotifyParticipant } from './notify-participant';
import { ProgramAlerts } from './program-alerts';

/** The one way an email is written, and alerts to a program's own people. */
@Module({
  imports: [
    DatabaseModule,
    MessagesModule,
    SuppressionsModule,
    TemplatesModule,
    SecretsModule,
    ConsentCoreModule,
    MetricsModule,
  ],
  providers: [NotifyParticipant, ProgramAlerts],
  exports: [NotifyParticipant, ProgramAlerts],
})
export class NotificationsModule {}
