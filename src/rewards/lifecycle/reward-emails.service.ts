import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProgramEvent } from '../../events/event.entity';
import { NotifyParticipant } from '../../notifications/notify-participant';
import type { Participant } from '../../participants/participant.entity';
import { ParticipantsService } from '../../participants/participants.service';
import type { Program } from '../../programs/program.entity';
import { transitionTemplate } from '../emails/reward-email-plan';
import { RewardHooks, type RewardChange } from '../reward-hooks';
import type { Reward } from '../reward.entity';
import type { RewardStatus } from '../states/reward-states';

/**
 * The emails of a reward's later life (released, denied, reversed, expiring), written in the
 * transaction of the change: a change that rolls back sends nothing, and the dedupe key (reward
 * and state) writes each once.
 */
@Injectable()
export class RewardEmails implements OnModuleInit {
  constructor(
    private readonly hooks: RewardHooks,
    private readonly notify: NotifyParticipant,
    private readonly participants: ParticipantsService,
  ) {}

  onModuleInit(): void {
    this.hooks.onRewardStatusChanged((manager, reward, previous, program, change) =>
      this.onStatusChanged(manager, reward, previous, program, change),
    );
  }

  async onStatusChanged(
    manager: EntityManager,
    reward: Reward,
    previous: RewardStatus,
    program: Program,
    change: RewardChange,
  ): Promise<void> {
    const template = transitionTemplate(reward, previous);
    if (!template) return;
    // A code (SELF_REFERRAL_SAME_EMAIL) is worded by the template in the email's language.
    const code = change.reason && /^[A-Z][A-Z0-9_]*$/.test(change.reason) ? change.reason : null;
    await this.send(manager, reward, program, template, `reward:${reward.id}:${reward.status}`, {
      reason: code ? null : change.reason,
      reasonCode: code,
    });
  }

  /** The reward-expiring email, once per reward. */
  async sendExpiring(manager: EntityManager, reward: Reward, program: Program): Promise<void> {
    await this.send(manager, reward, program, 'reward-expiring', `reward:${reward.id}:expiring`, {
      expiresAt: reward.expiresAt,
    });
  }

  private async send(
    manager: EntityManager,
    reward: Reward,
    program: Program,
    template: string,
    dedupeKey: string,
    extra: Record<string, unknown>,
  ): Promise<void> {
    const recipient = await this.participants.find(program.id, reward.participantId, manager);
    if (!recipient) return;
    // Both people of the event that earned it, as the email at creation had them.
    const event = reward.eventId
      ? await manager.findOneBy(ProgramEvent, { id: reward.eventId })
      : null;
    const role = reward.emails?.role ?? 'participant';
    const other = async (id: string | null | undefined): Promise<Participant | null> =>
      id ? this.participants.find(program.id, id, manager) : null;
    const participant = role === 'participant' ? recipient : await other(event?.participantId);
    const referrer = role === 'referrer' ? recipient : await other(event?.referrerId);
    await this.notify.execute(manager, {
      program,
      to: { participant: recipient },
      template,
      context: {
        participant: participant ?? recipient,
        referrer,
        recipientRole: role,
        reward,
        event: event ? { type: event.type, data: event.data, occurredAt: event.occurredAt } : null,
        extra,
      },
      dedupeKey,
    });
  }
}
