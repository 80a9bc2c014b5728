import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';
import type { FraudSettings } from '../fraud/fraud-settings';

export interface ProgramSettings {
  /** Notice when the calendar-year taxable total is above this, in USD. */
  w9ThresholdUsd?: number;
  /** Per tax year overrides of w9ThresholdUsd, keyed by the year. */
  w9ThresholdsByYear?: Record<string, number>;
  /** ISO-8601 durations after a cash reward at which payout reminders go out. */
  payoutReminderIntervals?: string[];
  /** Show the built-in footer in emails. */
  branding?: boolean;
  /** Base of links in verification and reset emails; PUBLIC_BASE_URL when unset. */
  micrositeUrl?: string;
  /** Allow SMTP login over a connection without TLS (security "none"). */
  allowInsecureSmtp?: boolean;
  /** Where the service tells the program's own people that something needs them. */
  alertEmail?: string;
  /** Pages of the program's own site that system emails link to (absolute https URLs). */
  links?: ProgramLinks | null;
  /** The program's postal address, one line: the footer of the default templates shows it. */
  postalAddress?: string | null;
  /** Fraud checks of the rewards rules write; off when absent. */
  fraud?: FraudSettings;
}

export interface ProgramLinks {
  /** Where a participant submits the tax form (W-9). */
  taxForm?: string | null;
  /** Where a participant adds payout (banking) details. */
  payoutDetails?: string | null;
}

export const DEFAULT_SETTINGS = {
  w9ThresholdUsd: 599,
  w9ThresholdsByYear: {} as Record<string, number>,
  payoutReminderIntervals: ['P3D', 'P7D', 'P14D'],
  branding: true,
  allowInsecureSmtp: false,
};

@Entity('programs')
@Index('IDX_programs_created', ['createdAt'])
export class Program {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 200 })
  name: string;

  @Column('varchar', { length: 64 })
  timezone: string;

  @Column('varchar', { length: 16 })
  defaultLocale: string;

  @Column('varchar', { length: 200, nullable: true })
  fromName: string | null;

  @Column('varchar', { length: 320, nullable: true })
  replyTo: string | null;

  @Column('simple-json')
  settings: ProgramSettings;

  /** The tag of the program's forwarding address (`in-<tag>@INBOUND_DOMAIN`), made on first use. */
  @Column('varchar', { length: 32, nullable: true, unique: true })
  inboundTag: string | null;

  @Column('varchar', { length: 64, unique: true })
  secretKeyHash: string;

  @Column('varchar', { length: 64, unique: true })
  publishableKeyHash: string;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}

/** Settings with defaults applied; what the rest of the service reads. */
export function effectiveSettings(
  program: Pick<Program, 'settings'>,
): typeof DEFAULT_SETTINGS & ProgramSettings {
  return { ...DEFAULT_SETTINGS, ...(program.settings ?? {}) };
}
