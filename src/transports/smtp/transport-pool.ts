import { createHash } from 'node:crypto';
import { resolveAllowedHost, type AllowedHost, type HostResolver } from './host-guard';
import type { SmtpSettings } from './smtp-settings';
import type { SmtpTimeouts } from '../../config/smtp-timeouts';
import {
  createSmtpTransport,
  validateSmtpSettings,
  type SmtpPoolOptions,
  type SmtpTransporter,
  type TransportBuildOptions,
} from './transport-factory';

export interface SmtpTransportPoolOptions {
  allowPrivateHosts: boolean;
  resolver?: HostResolver;
  timeouts?: Partial<SmtpTimeouts>;
  pool?: SmtpPoolOptions;
  clientName?: string;
  /** A transport older than this is rebuilt, so the host is resolved and checked again; default 10 min. */
  maxAgeMs?: number;
  /** How long a replaced transport may finish what it is sending before it is closed; default 30 s. */
  drainTimeoutMs?: number;
  /** Builds the transport; replaceable in tests. */
  createTransport?: (
    settings: SmtpSettings,
    target: AllowedHost,
    options: TransportBuildOptions,
  ) => SmtpTransporter;
  now?: () => number;
}

interface Entry {
  version: string;
  fingerprint: string;
  createdAt: number;
  transport: Promise<SmtpTransporter>;
}

// Settings themselves are not kept for comparison; a digest tells a changed password just as well.
function fingerprintOf(settings: SmtpSettings): string {
  const { host, port, security, username, password, oauth2, allowInsecure } = settings;
  return createHash('sha256')
    .update(
      JSON.stringify([
        host,
        port,
        security,
        username ?? '',
        password ?? '',
        oauth2?.key ?? '',
        Boolean(allowInsecure),
      ]),
    )
    .digest('hex');
}

/**
 * One pooled nodemailer transport per key (an integration, or an integration and sender identity).
 * A transport is rebuilt when the caller's version or the settings change, or when it is older
 * than `maxAgeMs`; the host guard runs on every build, and the replaced transport drains first.
 */
export class SmtpTransportPool {
  private readonly entries = new Map<string, Entry>();
  private readonly retiring = new Set<Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly options: SmtpTransportPoolOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(
    key: string,
    settings: SmtpSettings,
    version: string | number,
  ): Promise<SmtpTransporter> {
    const fingerprint = fingerprintOf(settings);
    const current = this.entries.get(key);
    const maxAge = this.options.maxAgeMs ?? 10 * 60_000;
    if (
      current &&
      current.version === String(version) &&
      current.fingerprint === fingerprint &&
      this.now() - current.createdAt < maxAge
    ) {
      return current.transport;
    }
    if (current) {
      this.entries.delete(key);
      void this.retire(current, false);
    }
    const entry: Entry = {
      version: String(version),
      fingerprint,
      createdAt: this.now(),
      transport: this.build(settings),
    };
    this.entries.set(key, entry);
    try {
      return await entry.transport;
    } catch (err) {
      // A failed build (host refused, DNS down) is not cached: the next call tries again.
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  /** Closes the transport for `key` now (integration removed or disconnected). */
  async close(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    await this.retire(entry, true);
  }

  /** Closes every transport, including replaced ones still draining (shutdown). */
  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all([...entries.map((entry) => this.retire(entry, true)), ...this.retiring]);
  }

  private async build(settings: SmtpSettings): Promise<SmtpTransporter> {
    validateSmtpSettings(settings);
    const target = await resolveAllowedHost(settings.host, settings.port, {
      allowPrivateHosts: this.options.allowPrivateHosts,
      resolver: this.options.resolver,
      timeoutMs: this.options.timeouts?.dnsTimeoutMs,
    });
    const create = this.options.createTransport ?? createSmtpTransport;
    return create(settings, target, {
      pool: this.options.pool ?? true,
      timeouts: this.options.timeouts,
      clientName: this.options.clientName,
    });
  }

  private retire(entry: Entry, immediately: boolean): Promise<void> {
    const done = entry.transport.then(
      (transport) =>
        new Promise<void>((resolve) => {
          let closed = false;
          const close = () => {
            if (closed) return;
            closed = true;
            clearTimeout(timer);
            transport.off('idle', close);
            transport.close();
            resolve();
          };
          // Messages already handed to the old transport finish on it; closing at once would fail them.
          const drain = !immediately && !transport.isIdle();
          const timer = drain
            ? setTimeout(close, this.options.drainTimeoutMs ?? 30_000)
            : undefined;
          if (!timer) return close();
          timer.unref();
          transport.once('idle', close);
        }),
      () => undefined,
    );
    this.retiring.add(done);
    void done.finally(() => this.retiring.delete(done));
    return done;
  }
}
