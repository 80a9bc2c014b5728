import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';
import type { SenderDnsRecordCheck, SenderDnsStatus } from './dns-verifier';

/** A program's custom From domain for the built-in sender, with its DKIM key. */
@Entity('sender_domains')
@Index('UQ_sender_domains_program', ['programId'], { unique: true })
export class SenderDomain {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  /** Normalised (lower case, punycode). */
  @Column('varchar', { length: 253 })
  domain: string;

  @Column('varchar', { length: 63 })
  selector: string;

  /** PKCS#8 PEM, SecretBox-sealed, bound to the program id; never returned. */
  @Column('text')
  privateKeySealed: string;

  @Column('varchar', { length: 320 })
  fromAddress: string;

  @Column('varchar', { length: 200, nullable: true })
  fromName: string | null;

  @Column('varchar', { length: 16 })
  status: SenderDnsStatus;

  /** The records to publish, each with the outcome of the last check. */
  @Column('simple-json')
  records: SenderDnsRecordCheck[];

  @Column(TIMESTAMP, { nullable: true })
  checkedAt: Date | null;

  @Column(TIMESTAMP, { nullable: true })
  verifiedAt: Date | null;

  /** Since when a domain that was verified fails its check; it still signs for a grace period. */
  @Column(TIMESTAMP, { nullable: true })
  failingSince: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
