import { PartialType } from '@nestjs/swagger';
import { UpsertParticipantDto } from './participant.dto';

/**
 * A partial change of a stored participant: only the fields sent change, null clears an optional
 * one (firstName, lastName, locale, country, customFields).
 */
export class PatchParticipantDto extends PartialType(UpsertParticipantDto) {}
