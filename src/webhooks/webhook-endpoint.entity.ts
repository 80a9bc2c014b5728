import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

export const WEBHOOK_ENDPOINT_STATUSES = ['enabled', 'disabled'] as const;
export type WebhookEndpointStatus = (typeof WEBHOOK_ENDPOINT_STATUSES)[number];

/** A URL of the program's that is sent the events it subscribed to, signed with its secret. */
@Entity('webhook_endpoints')
@Index('IDX_webhook_endpoints_program_created', ['programId', 'createdAt'])
export class WebhookEndpoint {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 2048 })
  url: string;

  @Column('varchar', { length: 500, nullable: true })
  description: string | null;

  /** Event names it is sent. */
  @Column('simple-json')
  events: string[];

  /** The signing secret (`whsec_...`), sealed with the program's key. */
  @Column('text')
  sealedSecret: string;

  /** The secret before the last rotation, also signed with until `previousSecretExpiresAt`. */
  @Column('text', { nullable: true })
  sealedPreviousSecret: string | null;

  @Column(TIMESTAMP, { nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column('varchar', { length: 16 })
  status: WebhookEndpointStatus;

  /** Why it was disabled (by hand or after failing too long). */
  @Column('varchar', { length: 500, nullable: true })
  disabledReason: string | null;

  /** The first failure since the last success; null while it answers. */
  @Column(TIMESTAMP, { nullable: true })
  failingSince: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
