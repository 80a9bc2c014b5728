import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app.config';
import { NotifyParticipant } from '../../notifications/notify-participant';
import { Participant } from '../../participants/participant.entity';
import { Program } from '../../programs/program.entity';
import { KeyedMutex } from '../../common/async/keyed-mutex';
import { participantPageLink, type ParticipantPage } from '../../programs/program-links';
import { TokenPurpose } from './participant-token.entity';
import { ParticipantTokensService } from './participant-tokens.service';

export interface TokenEmailKind {
  purpose: TokenPurpose;
  template: 'verification' | 'password-reset';
  /** The template variable that holds the link. */
  linkVariable: 'verifyUrl' | 'resetUrl';
  page: ParticipantPage;
  ttlSeconds: number;
}

const HOUR_MS = 3600_000;

/** Issues a one-time token and emails its link, in one transaction. */
@Injectable()
export class TokenMailer {
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly tokens: ParticipantTokensService,
    private readonly notify: NotifyParticipant,
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * Sends a fresh link, voiding the earlier ones, unless the participant already got the
   * hourly allowance of this kind: the HTTP limits bound requests, this bounds the emails.
   */
  async send(
    program: Program,
    participant: Participant,
    kind: TokenEmailKind,
  ): Promise<'sent' | 'capped'> {
    const owner = { programId: program.id, participantId: participant.id, purpose: kind.purpose };
    const lockKey = `${owner.programId}:${owner.participantId}:${owner.purpose}`;
    // Count and issue under one lock per participant and kind, or concurrent requests would
    // all see room under the allowance: in this process a mutex, across processes on Postgres
    // an advisory lock held until the transaction ends.
    const message = await this.locks.run(lockKey, () =>
      this.dataSource.transaction(async (manager) => {
        if (manager.connection.driver.options.type === 'postgres') {
          await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
            `participant-token:${lockKey}`,
          ]);
        }
        const recent = await this.tokens.countIssuedSince(
          manager,
          owner,
          new Date(Date.now() - HOUR_MS),
        );
        if (recent >= this.config.TOKEN_EMAILS_PER_ADDRESS_PER_HOUR) return null;
        const issued = await this.tokens.issue(
          manager,
          owner,
          participant.email,
          kind.ttlSeconds * 1000,
        );
        return this.notify.execute(manager, {
          program,
          to: { participant },
          template: kind.template,
          context: {
            extra: { expiresInHours: Math.round((kind.ttlSeconds / 3600) * 100) / 100 },
          },
          // The link is a credential: sealed until it is rendered, then gone.
          secretVariables: {
            [kind.linkVariable]: participantPageLink(
              program,
              this.config.PUBLIC_BASE_URL,
              kind.page,
              issued.token,
            ),
          },
          dedupeKey: `${kind.purpose}:${issued.id}`,
        });
      }),
    );
    return message ? 'sent' : 'capped';
  }
}
