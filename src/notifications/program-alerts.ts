import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { effectiveSettings, type Program } from '../programs/program.entity';
import { NotifyParticipant } from './notify-participant';

/** Something the program's own people must act on. */
export interface Alert {
  kind:
    | 'sender-domain-failing'
    | 'oauth-reauthorization-required'
    | 'webhook-endpoint-disabled'
    | 'code-pool-low-stock';
  domain?: string | null;
  until?: Date | null;
  detail?: string | null;
  /** The console page where it is fixed, e.g. `/console/integrations`. */
  consolePath: string;
}

/**
 * Tells a program's own people (settings.alertEmail) that something needs them, from the
 * platform's address: their own sending setup may be what is broken. One email per dedupe key.
 */
@Injectable()
export class ProgramAlerts {
  constructor(
    private readonly notify: NotifyParticipant,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** False when the program has no alertEmail: the alert is only logged. */
  async send(
    manager: EntityManager | undefined,
    program: Program,
    alert: Alert,
    dedupeKey: string,
  ): Promise<boolean> {
    const to = effectiveSettings(program).alertEmail;
    this.logger.warn(
      { programId: program.id, alert: alert.kind, to: to ? 'alertEmail' : 'none' },
      'program alert',
    );
    if (!to) return false;
    await this.notify.execute(manager, {
      program,
      to: { address: to },
      template: 'program-alert',
      locales: [program.defaultLocale],
      context: {
        extra: {
          alert: {
            kind: alert.kind,
            domain: alert.domain ?? null,
            until: alert.until ?? null,
            detail: alert.detail ?? null,
          },
          consoleUrl: new URL(alert.consolePath, this.config.PUBLIC_BASE_URL).toString(),
        },
      },
      dedupeKey: `alert:${dedupeKey}`,
      via: 'platform',
    });
    return true;
  }
}
