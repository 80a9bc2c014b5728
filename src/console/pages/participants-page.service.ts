import { ParticipantsService } from '../../participants/participants.service';
import { W9Service } from '../../tax/w9.service';
import { SuppressionsService, toSuppressionView } from '../../suppressions/suppressions.service';
import { Injectable } from '@nestjs/common';
import { PARTICIPANT_ID, PARTICIPANT_ID_MESSAGE } from '../../participants/dto/participant.dto';
import { toParticipantView } from '../../participants/participants.service';
import type { SignedInContext } from '../console-request';
import { attempt, errorNotice, pickFields, type FormState } from '../console-forms';
import type { Page } from '../console-views.service';

/** The Participants page: one participant by id, with the W-9 status of a year and the payout flags. */
@Injectable()
export class ParticipantsPageService {
  constructor(
    private readonly participants: ParticipantsService,
    private readonly w9: W9Service,
    private readonly suppressions: SuppressionsService,
  ) {}

  async lookup(ctx: SignedInContext, query: Record<string, unknown>): Promise<Page> {
    const values = pickFields(query, ['id', 'year']);
    const id = values.id.trim();
    const form: FormState = { values, errors: {} };
    const page = (model: Record<string, unknown> = {}, status?: number): Page => ({
      view: 'participants',
      title: 'participants.title',
      section: 'participants',
      status,
      model: { form, ...model },
    });
    if (!id) return page();
    if (!PARTICIPANT_ID.test(id)) {
      form.errors.id = [PARTICIPANT_ID_MESSAGE];
      return page({}, 400);
    }
    const year = /^\d{4}$/.test(values.year.trim()) ? Number(values.year.trim()) : undefined;
    if (values.year.trim() && year === undefined) {
      form.errors.year = ['year must be a four-digit calendar year'];
      return page({}, 400);
    }
    const outcome = await attempt(async () => {
      const participant = await this.participants.get(ctx.program.id, id);
      // Of any scope: a complaint still holds back everything but transactional email.
      const suppression = await this.suppressions.find(ctx.program.id, participant.email);
      return {
        participant: toParticipantView(participant),
        tax: await this.w9.summary(ctx.program, id, year),
        suppression: suppression ? toSuppressionView(suppression) : null,
      };
    });
    if (!outcome.ok) {
      form.notice = errorNotice(ctx.lang, outcome.error, 'participants.notFound');
      return page({}, outcome.error.getStatus());
    }
    const { participant, tax, suppression } = outcome.value;
    return page({
      participant,
      tax,
      suppression,
      suppressionHref: `/console/suppressions?${new URLSearchParams({ email: participant.email.toLowerCase() }).toString()}`,
      // Reminders run while tax or banking details are missing and stop once both are on file.
      detailsMissing: !participant.taxFormOnFile || !participant.payoutDetailsOnFile,
      messagesHref: `/console/messages?${new URLSearchParams({ to: participant.email }).toString()}`,
    });
  }
}
