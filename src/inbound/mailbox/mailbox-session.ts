import type { ImapFlow, MailboxObject } from 'imapflow';
import { AppError } from '../../common/errors/app-error';
import { isUniqueViolation } from '../../common/errors/database-errors';
import type { AppLogger } from '../../common/logging/logging.module';
import { effectiveSettings } from '../../programs/program.entity';
import type { ProgramsService } from '../../programs/programs.service';
import { AccountWaitingError } from '../../transports/accounts/account-waiting';
import {
  ImapError,
  openImap,
  type ImapConnectOptions,
  type ImapCredentials,
} from '../../transports/imap/imap-client';
import { OAuthTokenError } from '../../transports/oauth/oauth-errors';
import type { ImapSettings } from '../../transports/imap/sent-folder';
import type { InboundService } from '../inbound.service';
import { readInbound } from '../reports/read-inbound';
import type { InboundMailbox } from './inbound-mailbox.entity';
import {
  logout,
  mailboxProblem,
  selectFolder,
  TAKEN_KEYWORD,
  type MailboxProblem,
} from './mailbox-imap';
import type { MailboxStore } from './mailbox-store';

export interface SessionOptions {
  owner: string;
  leaseMs: number;
  pollMs: number;
  maxBytes: number;
  allowPrivateHosts: boolean;
}

export interface SessionDeps {
  store: MailboxStore;
  inbound: InboundService;
  programs: ProgramsService;
  logger: AppLogger;
}

// Messages whose flags and sizes are fetched at once.
const CHUNK = 100;
// How long a stopping session may finish the message in hand before its connection is cut.
const STOP_GRACE_MS = 5000;
// The longest wait between tries of a mailbox that keeps failing.
const MAX_RETRY_MS = 60 * 60 * 1000;
// After the folder's UIDVALIDITY changed, what arrived this long before the last read is looked at
// again (by date, skipping what carries the keyword): arrival dates are the server's clock.
const REASSIGNED_WINDOW_MS = 60 * 60 * 1000;

/** When a mailbox that failed `failures` times in a row is tried again: doubling from the poll. */
export function retryDelay(failures: number, pollMs: number): number {
  return Math.min(pollMs * 2 ** Math.min(Math.max(failures - 1, 0), 20), MAX_RETRY_MS);
}

/** What the server said, as the problem the mailbox shows. */
class ServerError extends Error {
  constructor(readonly problem: MailboxProblem) {
    super(problem.message);
    this.name = 'ServerError';
  }
}

/** The lease was lost, or the mailbox changed or went: this session stops, saying nothing. */
class LeaseLost extends Error {}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * One mailbox read by this worker while it holds the lease: logs in, reads what is new since the
 * cursor, then waits in IDLE (or for the poll) and reads again, until it is stopped, loses the
 * lease or fails. Every message taken in is stored (InboundService.accept) before it is flagged
 * and before the cursor moves past it, so a crash in between reads it again, and the unique
 * (mailboxId, mailboxUid) of the stored row keeps the second reading from storing it twice.
 */
export class MailboxSession {
  readonly done: Promise<void>;
  private client?: ImapFlow;
  private stopped = false;
  /** Ended because its lease was taken over, or the mailbox was changed or removed. */
  changed = false;
  private heldUntil: number;
  private renewal?: NodeJS.Timeout;
  private wakeUp?: () => void;
  private woken = false;
  private warnedFlags = false;
  private readonly settings: ImapSettings;

  constructor(
    private readonly row: InboundMailbox,
    private readonly options: SessionOptions,
    private readonly deps: SessionDeps,
  ) {
    this.settings = { host: row.host, port: row.port, security: row.security };
    this.heldUntil = row.leaseUntil?.getTime() ?? 0;
    this.done = this.run();
  }

  /** Stops after the message in hand (or at once when idle), and lets go of the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    const finished = await Promise.race([
      this.done.then(() => true),
      sleep(STOP_GRACE_MS).then(() => false),
    ]);
    if (!finished) {
      this.client?.close();
      await this.done;
    }
  }

  private async run(): Promise<void> {
    const { store, logger } = this.deps;
    const log = { programId: this.row.programId, mailboxId: this.row.id };
    this.renewal = setInterval(() => void this.renew(), Math.max(this.options.leaseMs / 3, 100));
    try {
      await this.read();
    } catch (err) {
      if (err instanceof LeaseLost || this.stopped) {
        logger.debug({ ...log, err }, 'stopped reading an inbound mailbox');
      } else if (err instanceof ServerError) {
        const retryAt = new Date(
          Date.now() + retryDelay(this.row.failures + 1, this.options.pollMs),
        );
        const { failing } = await store
          .failed(this.row, this.options.owner, err.problem, retryAt)
          .catch(() => ({ failing: false }));
        logger.warn(
          { ...log, code: err.problem.code, failing, retryAt },
          'reading an inbound mailbox failed; it is tried again later',
        );
      } else {
        // Our side (the database, most likely): nothing to show on the mailbox; read again later.
        logger.error({ ...log, err }, 'reading an inbound mailbox stopped on an internal error');
      }
    } finally {
      clearInterval(this.renewal);
      const client = this.client;
      if (client) {
        await Promise.race([logout(client), sleep(2000)]);
        client.close();
      }
      await store
        .release(this.row.id, this.options.owner)
        .catch((err: unknown) =>
          logger.warn(
            { ...log, err },
            'letting go of an inbound mailbox failed; its lease runs out',
          ),
        );
    }
  }

  private async read(): Promise<void> {
    const { store, programs } = this.deps;
    const program = await programs.findById(this.row.programId);
    if (!program) {
      throw new ServerError({
        code: 'PROGRAM_NOT_FOUND',
        message: 'The program of this mailbox was not found.',
        permanent: true,
      });
    }
    const client = await this.server(() =>
      this.login({
        allowPrivateHosts: this.options.allowPrivateHosts,
        allowInsecure: effectiveSettings(program).allowInsecureSmtp,
      }),
    );
    this.client = client;
    // Stopped while the login took its time (a server slows down logins after failures).
    if (this.stopped) return;
    // New mail while idling, or the connection gone: read (or fail) now rather than at the poll.
    client.on('exists', () => this.wake());
    client.on('close', () => this.wake());
    const mailbox = await this.server(() => selectFolder(client, this.row.folder, this.settings));
    await store.works(this.row, this.options.owner);
    this.deps.logger.info(
      { programId: this.row.programId, mailboxId: this.row.id, folder: this.row.folder },
      'reading an inbound mailbox',
    );
    while (!this.stopped) {
      this.woken = false;
      await this.catchUp(client, mailbox);
      if (this.stopped) break;
      if (!client.usable) {
        throw new ServerError(mailboxProblem(new Error('ClosedAfterConnect'), this.settings));
      }
      // IDLE until the next command breaks it: new mail, the poll, or a stop.
      client.idle().catch(() => undefined);
      await this.waitForWake(this.options.pollMs);
    }
  }

  /** Reads everything above the cursor, in UID order, moving the cursor past each message. */
  private async catchUp(client: ImapFlow, mailbox: MailboxObject): Promise<void> {
    // Woken after renewals failed for a while: another worker may hold the mailbox by now.
    this.assertHeld();
    const validity = Number(mailbox.uidValidity);
    const row = this.row;
    let after: number;
    let since: Date | null = null;
    if (row.uidValidity === null || row.lastUid === null) {
      // No cursor yet (the server gave no UIDNEXT when it was saved): what arrives from now on.
      after = Math.max(mailbox.uidNext - 1, 0);
      await this.advance(validity, after);
    } else if (row.uidValidity !== validity) {
      // The server reassigned every UID: what arrived since shortly before the last read is
      // looked at again, and what carries the keyword was taken in already.
      since = new Date((row.lastCheckedAt ?? row.verifiedAt).getTime() - REASSIGNED_WINDOW_MS);
      after = 0;
      this.deps.logger.warn(
        { programId: row.programId, mailboxId: row.id, was: row.uidValidity, now: validity },
        'the UIDVALIDITY of an inbound mailbox changed; reading it again by date',
      );
    } else {
      after = row.lastUid;
    }
    const found = await this.server(() =>
      since
        ? client.search({ since }, { uid: true })
        : client.search({ uid: `${after + 1}:*` }, { uid: true }),
    );
    if (found === false) {
      throw new ServerError(mailboxProblem(new Error('SEARCH failed'), this.settings));
    }
    // `n:*` names the highest UID even when it is below n.
    const uids = found.filter((uid) => uid > after).sort((a, b) => a - b);
    let last = after;
    for (let i = 0; i < uids.length; i += CHUNK) {
      const chunk = uids.slice(i, i + CHUNK);
      const heads = await this.server(() =>
        client.fetchAll(
          chunk.join(','),
          { uid: true, flags: true, size: true, internalDate: true },
          { uid: true },
        ),
      );
      heads.sort((a, b) => a.uid - b.uid);
      for (const head of heads) {
        if (this.stopped) return;
        this.assertHeld();
        const arrived = head.internalDate ? new Date(head.internalDate) : null;
        if (!since || !arrived || arrived >= since) await this.consider(client, head, validity);
        await this.advance(validity, head.uid);
        last = head.uid;
      }
    }
    // Past what was there when the folder was selected, now that the cursor has the new UIDVALIDITY.
    if (since) await this.advance(validity, Math.max(mailbox.uidNext - 1, last));
    await this.deps.store.checked(row.id, this.options.owner, new Date());
  }

  /** Takes one message in (and flags it), or leaves it as it is. */
  private async consider(
    client: ImapFlow,
    head: { uid: number; flags?: Set<string>; size?: number },
    validity: number,
  ): Promise<void> {
    const keyword = TAKEN_KEYWORD.toLowerCase();
    if ([...(head.flags ?? [])].some((f) => f.toLowerCase() === keyword)) return;
    const log = { programId: this.row.programId, mailboxId: this.row.id, uid: head.uid };
    if ((head.size ?? 0) > this.options.maxBytes) {
      this.deps.logger.warn(
        { ...log, size: head.size },
        'an email in an inbound mailbox is larger than INBOUND_MAX_BYTES; left as it is',
      );
      return;
    }
    const uid = String(head.uid);
    const message = await this.server(() =>
      client.fetchOne(uid, { uid: true, source: true }, { uid: true }),
    );
    // Gone meanwhile (moved or deleted by someone else).
    if (!message || !message.source) return;
    if (this.row.readMode === 'bounces' && !(await isReport(message.source))) return;
    try {
      await this.deps.inbound.accept(message.source, {
        source: 'imap',
        envelopeFrom: null,
        envelopeTo: this.row.username,
        programId: this.row.programId,
        mailboxId: this.row.id,
        mailboxUid: `${validity}:${head.uid}`,
      });
      this.deps.logger.debug(log, 'took in an email from an inbound mailbox');
    } catch (err) {
      // Stored before a crash that came before its keyword: only the keyword is missing.
      if (!isUniqueViolation(err)) throw err;
    }
    const flagged = await this.server(() =>
      client.messageFlagsAdd(uid, [TAKEN_KEYWORD], { uid: true }),
    );
    if (!flagged && !this.warnedFlags) {
      this.warnedFlags = true;
      this.deps.logger.warn(
        log,
        'the inbound mailbox does not keep the keyword of what was taken in; the cursor alone keeps it from being read twice',
      );
    }
  }

  private async advance(uidValidity: number, lastUid: number): Promise<void> {
    if (this.row.uidValidity === uidValidity && (this.row.lastUid ?? -1) >= lastUid) return;
    if (!(await this.deps.store.advance(this.row.id, this.options.owner, { uidValidity, lastUid })))
      throw new LeaseLost('the lease of the inbound mailbox was lost');
    this.row.uidValidity = uidValidity;
    this.row.lastUid = lastUid;
  }

  private async renew(): Promise<void> {
    const started = Date.now();
    try {
      if (await this.deps.store.renew(this.row, this.options.owner, this.options.leaseMs)) {
        this.heldUntil = started + this.options.leaseMs;
        return;
      }
      // Taken over, changed (a PUT) or removed: this session ends; a changed one starts again.
      this.changed = true;
      this.stopped = true;
      this.wake();
    } catch (err) {
      // The database is away for now: the next renewal tries again, and reading stops before
      // the lease could run out.
      this.deps.logger.warn(
        { mailboxId: this.row.id, err },
        'renewing the lease of an inbound mailbox failed',
      );
    }
  }

  // Stops before the lease could run out while a renewal is overdue, leaving a margin for clocks.
  private assertHeld(): void {
    if (this.stopped || Date.now() > this.heldUntil - this.options.leaseMs / 4) {
      throw new LeaseLost('the lease of the inbound mailbox ran out');
    }
  }

  private wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.woken || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Runs an IMAP command; what it throws becomes the problem the mailbox shows. */
  /** Logs in with the password, or the OAuth token (replaced once when the server refuses it). */
  private async login(options: ImapConnectOptions): Promise<ImapFlow> {
    const credentials = await this.credentials();
    try {
      return await openImap(this.settings, credentials, options);
    } catch (err) {
      if (!('accessToken' in credentials)) throw err;
      if (!(err instanceof ImapError) || err.code !== 'IMAP_XOAUTH2_REFUSED') throw err;
      return openImap(this.settings, await this.credentials(credentials.accessToken), options);
    }
  }

  private async credentials(rejected?: string): Promise<ImapCredentials> {
    try {
      return await this.deps.store.credentials(this.row, rejected);
    } catch (err) {
      // Sealed under a secret this process does not have: the person enters it again. A revoked
      // sign-in: the person connects it again.
      if (err instanceof AppError || err instanceof AccountWaitingError)
        throw new ServerError({ code: err.code, message: err.message, permanent: true });
      if (err instanceof OAuthTokenError)
        throw new ServerError({ code: err.code, message: err.message, permanent: false });
      throw err;
    }
  }

  private async server<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ServerError) throw err;
      throw new ServerError(mailboxProblem(err, this.settings));
    }
  }
}

/** Whether an email is a delivery report or a complaint: all that `bounces` mode takes in. */
async function isReport(raw: Buffer): Promise<boolean> {
  try {
    const { kind } = await readInbound(raw);
    return kind === 'dsn' || kind === 'arf';
  } catch {
    return false;
  }
}
