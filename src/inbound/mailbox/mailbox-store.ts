import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository, type QueryDeepPartialEntity } from 'typeorm';
import { IntegrationSecrets } from '../../common/crypto/integration-secrets';
import type { ImapCredentials } from '../../transports/imap/imap-client';
import { AccessTokens } from '../../transports/oauth/access-tokens';
import { InboundMailbox } from './inbound-mailbox.entity';
import type { MailboxProblem } from './mailbox-imap';

/** Failures in a row of a passing problem (a timeout, a refused connection) before it shows as failing. */
const FAILING_AFTER = 3;

/**
 * The mailbox rows as the worker role reads them: the lease that lets one worker at a time read
 * a mailbox, the cursor of what was read, and whether reading works. Every write of a reader is
 * conditional on its still holding the lease, so one that lost it changes nothing.
 */
@Injectable()
export class MailboxStore {
  constructor(
    @InjectRepository(InboundMailbox) private readonly mailboxes: Repository<InboundMailbox>,
    private readonly secrets: IntegrationSecrets,
    private readonly tokens: AccessTokens,
  ) {}

  /** Mailboxes due to be read that no worker holds, or whose holder let its lease run out. */
  async claimable(owner: string, limit = 50): Promise<string[]> {
    const rows = await this.mailboxes
      .createQueryBuilder('m')
      .select('m.id')
      .where(this.free(owner, new Date()))
      .orderBy('m.leaseUntil', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map((r) => r.id);
  }

  /**
   * Takes the lease with one conditional UPDATE: of two workers trying at once the database lets
   * one through. The row as taken, or null when another worker holds it or it is not due.
   */
  async take(id: string, owner: string, leaseMs: number): Promise<InboundMailbox | null> {
    const now = new Date();
    const taken = await this.mailboxes
      .createQueryBuilder()
      .update()
      .set({ leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) })
      .where('id = :id', { id })
      .andWhere(this.free(owner, now))
      .execute();
    if (!taken.affected) return null;
    return this.mailboxes.findOneBy({ id, leaseOwner: owner });
  }

  /** Extends the lease; false when it was lost, or the mailbox was changed or removed meanwhile. */
  async renew(row: InboundMailbox, owner: string, leaseMs: number): Promise<boolean> {
    return this.whileLeased(
      { id: row.id, owner, version: row.version },
      { leaseUntil: new Date(Date.now() + leaseMs) },
    );
  }

  /** Lets go of the lease, so another worker can read the mailbox at once. */
  async release(id: string, owner: string): Promise<void> {
    await this.whileLeased({ id, owner }, { leaseOwner: null, leaseUntil: null });
  }

  /** Moves the cursor on; false when the lease was lost (the caller stops reading). */
  async advance(
    id: string,
    owner: string,
    cursor: { uidValidity: number; lastUid: number },
    checkedAt?: Date,
  ): Promise<boolean> {
    return this.whileLeased(
      { id, owner },
      { ...cursor, ...(checkedAt ? { lastCheckedAt: checkedAt } : {}) },
    );
  }

  /** The folder was read to the end. */
  async checked(id: string, owner: string, at: Date): Promise<void> {
    await this.whileLeased({ id, owner }, { lastCheckedAt: at });
  }

  /**
   * Records why reading failed, when to try again, and lets go of the lease so that any worker
   * may try then. A problem only a person can fix shows as failing at once; a passing one after
   * a few failures in a row.
   */
  async failed(
    row: InboundMailbox,
    owner: string,
    problem: MailboxProblem,
    retryAt: Date,
  ): Promise<{ failing: boolean }> {
    const failures = row.failures + 1;
    const failing = problem.permanent || failures >= FAILING_AFTER || row.status === 'failing';
    // A revoked OAuth sign-in keeps saying so: it is not read again until it is connected again.
    const reauthorize = problem.code === 'OAUTH_REAUTHORIZATION_REQUIRED';
    const now = new Date();
    await this.whileLeased(
      { id: row.id, owner, version: row.version },
      {
        status: reauthorize ? 'reauthorization_required' : failing ? 'failing' : 'connected',
        lastErrorCode: problem.code.slice(0, 64),
        lastErrorMessage: problem.message.slice(0, 2000),
        lastErrorAt: now,
        failures,
        retryAt,
        leaseOwner: null,
        leaseUntil: null,
      },
    );
    row.failures = failures;
    return { failing };
  }

  /** Reading works (again): the error and the backoff are cleared. */
  async works(row: InboundMailbox, owner: string): Promise<void> {
    if (row.status === 'connected' && row.failures === 0 && !row.lastErrorCode) return;
    await this.whileLeased(
      { id: row.id, owner, version: row.version },
      {
        status: 'connected',
        lastErrorCode: null,
        lastErrorMessage: null,
        lastErrorAt: null,
        failures: 0,
        retryAt: null,
      },
    );
    Object.assign(row, { status: 'connected', failures: 0, lastErrorCode: null });
  }

  /**
   * Writes `set` only while `owner` holds the lease and, given the version the reader has, only
   * while nobody changed the mailbox meanwhile; true when the row was written.
   */
  private async whileLeased(
    lease: { id: string; owner: string; version?: number },
    set: QueryDeepPartialEntity<InboundMailbox>,
  ): Promise<boolean> {
    const written = await this.mailboxes
      .createQueryBuilder()
      .update()
      .set(set)
      .where(
        lease.version === undefined
          ? 'id = :id AND "leaseOwner" = :owner'
          : 'id = :id AND "leaseOwner" = :owner AND version = :version',
        lease,
      )
      .execute();
    return Boolean(written.affected);
  }

  /**
   * The login for a connection to the mailbox's own server: its stored password opened, or an
   * OAuth access token (with `rejected`, one that replaces the token the server refused).
   */
  async credentials(row: InboundMailbox, rejected?: string): Promise<ImapCredentials> {
    if (row.authType === 'oauth2') {
      const login = this.tokens.login(row.programId, 'inbound-mailbox', row.version);
      return { user: row.username, accessToken: await login.accessToken(rejected) };
    }
    return { user: row.username, pass: this.secrets.open(row.programId, row.passwordSealed ?? '') };
  }

  // Free: nobody holds it, its lease ran out, or this worker already holds it; and not waiting
  // for the next try after a failure.
  private free(owner: string, now: Date): Brackets {
    return new Brackets((w) =>
      w
        .where(
          new Brackets((lease) =>
            lease
              .where('"leaseOwner" IS NULL')
              .orWhere('"leaseUntil" < :now', { now })
              .orWhere('"leaseOwner" = :owner', { owner }),
          ),
        )
        .andWhere(
          new Brackets((retry) =>
            retry.where('"retryAt" IS NULL').orWhere('"retryAt" <= :now', { now }),
          ),
        )
        // Waits for a person to connect it again; reading it could only fail.
        .andWhere('"status" <> :waiting', { waiting: 'reauthorization_required' }),
    );
  }
}
