import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { AppConfig } from '../../config/app.config';
import { ProgramsService } from '../../programs/programs.service';
import { InboundService } from '../inbound.service';
import type { InboundMailbox } from './inbound-mailbox.entity';
import { MailboxSession } from './mailbox-session';
import { MailboxStore } from './mailbox-store';

/**
 * Reads programs' own mailboxes (worker role). Every INBOUND_MAILBOX_POLL_MS it looks for
 * mailboxes nobody reads and takes the lease of each it can; a taken mailbox is read by a
 * session of its own until this process stops (letting go of the lease) or loses the lease.
 */
@Injectable()
export class MailboxReader implements OnApplicationBootstrap, OnModuleDestroy {
  /** This process's name in the lease column: unique even for two apps in one process. */
  readonly owner = `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private readonly sessions = new Map<string, MailboxSession>();
  private timer?: NodeJS.Timeout;
  private scanning = false;
  private again = false;
  private stopping = false;

  constructor(
    private readonly store: MailboxStore,
    private readonly inbound: InboundService,
    private readonly programs: ProgramsService,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** The mailboxes this process reads now, by id. */
  get reading(): string[] {
    return [...this.sessions.keys()];
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  /** Before the database closes: every session stops and lets go of its lease. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    while (this.scanning) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.sessions.values()].map((s) => s.stop()));
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.scan(), ms);
    this.timer.unref();
  }

  private async scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return;
    }
    this.scanning = true;
    try {
      for (const id of await this.store.claimable(this.owner)) {
        if (this.stopping) break;
        if (this.sessions.has(id)) continue;
        const row = await this.store.take(id, this.owner, this.config.INBOUND_MAILBOX_LEASE_MS);
        if (row) this.start(row);
      }
    } catch (err) {
      this.logger.warn({ err }, 'looking for inbound mailboxes to read failed');
    } finally {
      this.scanning = false;
      this.schedule(this.again ? 0 : this.config.INBOUND_MAILBOX_POLL_MS);
      this.again = false;
    }
  }

  private start(row: InboundMailbox): void {
    const session = new MailboxSession(
      row,
      {
        owner: this.owner,
        leaseMs: this.config.INBOUND_MAILBOX_LEASE_MS,
        pollMs: this.config.INBOUND_MAILBOX_POLL_MS,
        maxBytes: this.config.INBOUND_MAX_BYTES,
        allowPrivateHosts: this.config.SMTP_ALLOW_PRIVATE_HOSTS,
      },
      { store: this.store, inbound: this.inbound, programs: this.programs, logger: this.logger },
    );
    this.sessions.set(row.id, session);
    void session.done.then(() => {
      this.sessions.delete(row.id);
      // A mailbox changed by a PUT is read again with its new settings at once; one that failed
      // waits for its retryAt, and any other for the next scan.
      if (session.changed) this.schedule(0);
    });
  }
}
