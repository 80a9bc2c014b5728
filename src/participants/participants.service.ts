import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { parse } from 'csv-parse/sync';
import { EntityManager, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { detailCodeOf } from '../common/errors/detail-codes';
import { refuseNulls } from '../common/validation/validators';
import { EntityQueries } from '../database/entity-queries';
import { isUniqueViolation } from '../common/errors/database-errors';
import {
  ImportRowError,
  PARTICIPANT_ID,
  PARTICIPANT_ID_MESSAGE,
  UpsertParticipantDto,
} from './dto/participant.dto';
import { Participant, type ParticipantSource } from './participant.entity';

export interface ParticipantView {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  locale: string | null;
  country: string | null;
  taxFormOnFile: boolean;
  payoutDetailsOnFile: boolean;
  emailVerified: boolean;
  customFields: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  source?: ParticipantSource;
}

export function toParticipantView(p: Participant): ParticipantView {
  return {
    id: p.id,
    email: p.email,
    firstName: p.firstName,
    lastName: p.lastName,
    locale: p.locale,
    country: p.country,
    taxFormOnFile: p.taxFormOnFile,
    payoutDetailsOnFile: p.payoutDetailsOnFile,
    emailVerified: !!p.emailVerifiedAt,
    customFields: p.customFields,
    ...(p.source ? { source: p.source } : {}),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** What an upsert may set: the API's fields, and where a participant came from (set once, at creation). */
export type ParticipantFields = Partial<UpsertParticipantDto> & { source?: ParticipantSource };

/** The fields a client writes on a participant, by the API or with an event. */
export const PARTICIPANT_FIELDS = [
  'email',
  'firstName',
  'lastName',
  'locale',
  'country',
  'taxFormOnFile',
  'payoutDetailsOnFile',
  'customFields',
] as const;

/** One upsert worked out: the participant afterwards, and what must be written for it. */
export type UpsertPlan =
  | { participant: Participant; write: 'none' | 'insert' }
  | { participant: Participant; write: 'update'; changes: Partial<Participant> };

const IMPORT_COLUMNS = ['id', 'email', 'firstName', 'lastName', 'locale', 'country'];
const MAX_IMPORT_ROWS = 10000;

@Injectable()
export class ParticipantsService {
  private readonly queries: EntityQueries<Participant>;

  constructor(
    @InjectRepository(Participant) private readonly participants: Repository<Participant>,
  ) {
    this.queries = new EntityQueries(participants);
  }

  assertId(id: string): void {
    if (!PARTICIPANT_ID.test(id))
      throw AppError.badRequest(
        'INVALID_PARTICIPANT_ID',
        `"${id.slice(0, 50)}" is not a valid participant id: ${PARTICIPANT_ID_MESSAGE}.`,
      );
  }

  async get(programId: string, id: string): Promise<Participant> {
    const found = await this.participants.findOneBy({ programId, id });
    if (!found) throw AppError.notFound('Participant', id);
    return found;
  }

  async find(programId: string, id: string, manager?: EntityManager): Promise<Participant | null> {
    return this.queries.findOne({ programId, id }, manager);
  }

  async findByEmail(
    programId: string,
    email: string,
    manager?: EntityManager,
  ): Promise<Participant | null> {
    return this.queries.findOne({ programId, emailLower: email.trim().toLowerCase() }, manager);
  }

  /** The participants with this address (exact, any case): none or one, as addresses are unique. */
  async listByEmail(programId: string, email: string): Promise<Participant[]> {
    const found = await this.findByEmail(programId, email);
    return found ? [found] : [];
  }

  /** The stored participants among `ids` of one program, by id. */
  async findMany(
    programId: string,
    ids: string[],
    manager?: EntityManager,
  ): Promise<Map<string, Participant>> {
    const rows = await this.queries.findIn({ programId }, 'id', [...new Set(ids)], manager);
    return new Map(rows.map((p) => [p.id, p]));
  }

  /**
   * Creates or updates one participant. Only the given fields change. `email` is needed to
   * create one. Safe under concurrency: a lost insert race becomes an update.
   */
  async upsert(
    programId: string,
    id: string,
    fields: ParticipantFields,
    manager?: EntityManager,
  ): Promise<{ participant: Participant; created: boolean }> {
    const existing = await this.queries.findOne({ programId, id }, manager);
    const plan = this.planUpsert(programId, id, fields, existing, new Date());
    if (plan.write === 'none') return { participant: plan.participant, created: false };
    const takesAddress =
      plan.write === 'insert' || (plan.write === 'update' && plan.changes.emailLower !== undefined);
    if (takesAddress)
      await this.assertAddressFree(programId, id, plan.participant.emailLower, manager);
    try {
      if (plan.write === 'update') {
        await this.applyChanges(programId, id, plan.changes, manager);
        return { participant: plan.participant, created: false };
      }
      await this.queries.insert(plan.participant, { manager });
      return { participant: plan.participant, created: true };
    } catch (err) {
      // In a caller's transaction (which Postgres has aborted by now) the caller decides.
      if (!isUniqueViolation(err) || manager) throw err;
      // Another participant took the address meanwhile, or this one was created meanwhile.
      if (takesAddress) await this.assertAddressFree(programId, id, plan.participant.emailLower);
      return this.upsert(programId, id, fields);
    }
  }

  /**
   * Changes only the given fields of a stored participant (PATCH): one that does not exist is a
   * 404, as creating one needs its email (PUT).
   */
  async patch(programId: string, id: string, fields: ParticipantFields): Promise<Participant> {
    if (!(await this.queries.findOne({ programId, id }))) {
      throw new AppError(
        HttpStatus.NOT_FOUND,
        'NOT_FOUND',
        `Participant "${id}" was not found; create it with PUT /v1/participants/${id} and its email.`,
      );
    }
    return (await this.upsert(programId, id, fields)).participant;
  }

  /** Each address belongs to one participant of a program: reset and sign-in must know whom it means. */
  private async assertAddressFree(
    programId: string,
    id: string,
    emailLower: string,
    manager?: EntityManager,
  ): Promise<void> {
    const holder = await this.queries.findOne({ programId, emailLower }, manager);
    if (holder && holder.id !== id) {
      throw AppError.conflict(
        'PARTICIPANT_EMAIL_TAKEN',
        `${emailLower} already belongs to participant "${holder.id}" of this program; each address belongs to one participant. Use that participant, or give this one another address.`,
      );
    }
  }

  /** Stores new participants (worked out by `planUpsert`) in one statement. */
  async insertMany(participants: Participant[], manager?: EntityManager): Promise<void> {
    await this.queries.insertMany(participants, { returning: 'id', manager });
  }

  /** Writes the changes `planUpsert` worked out for a stored participant. */
  async applyChanges(
    programId: string,
    id: string,
    changes: Partial<Participant>,
    manager?: EntityManager,
  ): Promise<void> {
    await this.queries.update(changes, { programId, id }, manager);
  }

  /**
   * What upserting `fields` onto `existing` (null: not stored yet) comes to, without writing it:
   * the participant afterwards and the write it takes. Throws what `upsert` throws; a simulation,
   * which writes nothing, may plan a new participant without an email (`requireEmail` false) and
   * gets one with an empty address.
   */
  planUpsert(
    programId: string,
    id: string,
    fields: ParticipantFields,
    existing: Participant | null,
    now: Date,
    requireEmail = true,
  ): UpsertPlan {
    const patch = this.patchOf(fields);
    if (existing) {
      // Events repeat the same person again and again: an update that changes nothing is skipped.
      const changes = changesOf(existing, patch);
      if (!changes) return { participant: existing, write: 'none' };
      // A new address is not verified: the old one was.
      const reverify = changes.emailLower !== undefined && existing.emailVerifiedAt !== null;
      const update = { ...changes, ...(reverify ? { emailVerifiedAt: null } : {}), updatedAt: now };
      return {
        participant: Object.assign(new Participant(), existing, update),
        write: 'update',
        changes: update,
      };
    }
    if (!fields.email && requireEmail) throw emailRequired(id);
    const email = fields.email ?? '';
    const participant = this.participants.create({
      programId,
      id,
      email,
      emailLower: email.toLowerCase(),
      firstName: null,
      lastName: null,
      locale: null,
      country: null,
      taxFormOnFile: false,
      payoutDetailsOnFile: false,
      customFields: null,
      emailVerifiedAt: null,
      passwordHash: null,
      source: fields.source ?? null,
      ...patch,
      createdAt: now,
      updatedAt: now,
    });
    return { participant, write: 'insert' };
  }

  async setEmailVerified(programId: string, id: string, at: Date): Promise<void> {
    await this.participants.update({ programId, id }, { emailVerifiedAt: at, updatedAt: at });
  }

  async setPasswordHash(programId: string, id: string, hash: string): Promise<void> {
    await this.participants.update(
      { programId, id },
      { passwordHash: hash, updatedAt: new Date() },
    );
  }

  /** Imports a CSV with a header row; each bad row is reported and the others still land. */
  async importCsv(programId: string, csv: string) {
    if (typeof csv !== 'string' || csv.trim() === '') {
      throw AppError.badRequest(
        'CSV_EMPTY',
        'Send the CSV as the request body with Content-Type: text/csv, starting with a header row (id,email,...).',
      );
    }
    let rows: Record<string, string>[];
    try {
      rows = parse(csv, {
        columns: true,
        skip_empty_lines: true,
        trim: true,
        bom: true,
        relax_column_count: false,
      });
    } catch (err) {
      throw AppError.badRequest(
        'CSV_INVALID',
        `The CSV could not be read: ${(err as Error).message}`,
      );
    }
    const header = Object.keys(rows[0] ?? {});
    const unknown = header.filter((h) => !IMPORT_COLUMNS.includes(h));
    if (!header.includes('id') || !header.includes('email') || unknown.length > 0) {
      throw AppError.badRequest(
        'CSV_HEADER_INVALID',
        `The header row must name the columns id and email, and may add ${IMPORT_COLUMNS.slice(2).join(', ')}` +
          (unknown.length ? `; unknown column(s): ${unknown.join(', ')}.` : '.'),
      );
    }
    if (rows.length > MAX_IMPORT_ROWS) {
      throw AppError.badRequest(
        'CSV_TOO_MANY_ROWS',
        `Import at most ${MAX_IMPORT_ROWS} rows at a time; this file has ${rows.length}.`,
      );
    }
    const result = {
      created: 0,
      updated: 0,
      failed: 0,
      errors: [] as ImportRowError[],
    };
    for (const [i, row] of rows.entries()) {
      const rowNumber = i + 2; // the header is row 1
      const { id, ...rest } = row;
      const fields = Object.fromEntries(
        Object.entries(rest).filter(([, v]) => v !== '' && v !== undefined),
      );
      if (!id || !PARTICIPANT_ID.test(id)) {
        result.failed++;
        result.errors.push({
          row: rowNumber,
          id,
          field: 'id',
          code: id ? 'INVALID_FORMAT' : 'REQUIRED',
          message: PARTICIPANT_ID_MESSAGE,
        });
        continue;
      }
      const dto = plainToInstance(UpsertParticipantDto, fields);
      const problems = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
      if (problems.length > 0) {
        result.failed++;
        for (const p of problems) {
          const [check] = Object.keys(p.constraints ?? {});
          result.errors.push({
            row: rowNumber,
            id,
            field: p.property,
            // The same vocabulary as the details of VALIDATION_FAILED.
            code:
              p.value === undefined || p.value === null || p.value === ''
                ? 'REQUIRED'
                : detailCodeOf(check ?? '', p.constraints?.[check ?? '']),
            message: Object.values(p.constraints ?? {}).join('; '),
          });
        }
        continue;
      }
      const { created } = await this.upsert(programId, id, dto);
      if (created) result.created++;
      else result.updated++;
    }
    return result;
  }

  private patchOf(fields: ParticipantFields): Partial<Participant> {
    // null clears the optional fields; the email and the on-file flags always have a value.
    refuseNulls(fields, ['email', 'taxFormOnFile', 'payoutDetailsOnFile']);
    const patch: Partial<Participant> = {};
    for (const key of PARTICIPANT_FIELDS) {
      if (fields[key] !== undefined) (patch as Record<string, unknown>)[key] = fields[key];
    }
    if (fields.email !== undefined) patch.emailLower = fields.email.toLowerCase();
    return patch;
  }
}

/** A participant not stored yet is created by an event only with its email. */
export function emailRequired(id: string): AppError {
  return AppError.badRequest(
    'PARTICIPANT_EMAIL_REQUIRED',
    `Participant "${id}" does not exist yet; send its email to create it.`,
  );
}

/** The fields of `patch` that differ from what is stored, or null when none does. */
function changesOf(
  existing: Participant,
  patch: Partial<Participant>,
): Partial<Participant> | null {
  const changes: Partial<Participant> = {};
  let any = false;
  for (const [key, value] of Object.entries(patch) as [keyof Participant, unknown][]) {
    const stored = existing[key];
    const same =
      key === 'customFields'
        ? JSON.stringify(stored ?? null) === JSON.stringify(value ?? null)
        : stored === value;
    if (!same) {
      (changes as Record<string, unknown>)[key] = value;
      any = true;
    }
  }
  return any ? changes : null;
}
