import { EventEmitter } from 'node:events';
import type { AllowedHost, HostResolver } from './host-guard';
import { SmtpError } from './smtp-errors';
import type { SmtpSettings } from './smtp-settings';
import type { SmtpTransporter, TransportBuildOptions } from './transport-factory';
import { SmtpTransportPool } from './transport-pool';

class FakeTransport extends EventEmitter {
  idle = true;
  readonly close = jest.fn();
  readonly isIdle = jest.fn(() => this.idle);
}

const settings: SmtpSettings = {
  host: 'smtp.example.com',
  port: 587,
  security: 'tls',
  username: 'u@example.com',
  password: 'pw-1',
};

function setup(
  overrides: { resolver?: HostResolver; maxAgeMs?: number; drainTimeoutMs?: number } = {},
) {
  let clock = 1_000_000;
  const built: Array<{
    transport: FakeTransport;
    target: AllowedHost;
    options: TransportBuildOptions;
  }> = [];
  const resolver = jest.fn(
    overrides.resolver ?? (async () => [{ address: '93.184.216.34', family: 4 as const }]),
  );
  const pool = new SmtpTransportPool({
    allowPrivateHosts: false,
    resolver,
    maxAgeMs: overrides.maxAgeMs,
    drainTimeoutMs: overrides.drainTimeoutMs,
    now: () => clock,
    createTransport: (_settings, target, options) => {
      const transport = new FakeTransport();
      built.push({ transport, target, options });
      return transport as unknown as SmtpTransporter;
    },
  });
  return { pool, built, resolver, advance: (ms: number) => (clock += ms) };
}

describe(SmtpTransportPool.name, () => {
  it('returns the same pooled transport for the same key and version', async () => {
    const { pool, built } = setup();
    const a = await pool.get('prog_1', settings, 1);
    const b = await pool.get('prog_1', settings, 1);
    expect(a).toBe(b);
    expect(built).toHaveLength(1);
    expect(built[0].options.pool).toBe(true);
    expect(built[0].target).toEqual({
      host: 'smtp.example.com',
      address: '93.184.216.34',
      family: 4,
      servername: 'smtp.example.com',
    });
  });

  it('builds one transport for concurrent first calls', async () => {
    const { pool, built } = setup();
    const [a, b] = await Promise.all([
      pool.get('prog_1', settings, 1),
      pool.get('prog_1', settings, 1),
    ]);
    expect(a).toBe(b);
    expect(built).toHaveLength(1);
  });

  it('keeps keys apart', async () => {
    const { pool, built } = setup();
    await pool.get('prog_1', settings, 1);
    await pool.get(
      'prog_1:sender_a',
      { ...settings, username: 'a@example.com', password: 'pw-a' },
      1,
    );
    expect(built).toHaveLength(2);
    expect(pool.size).toBe(2);
  });

  it('rebuilds when the version changes and closes the old transport', async () => {
    const { pool, built } = setup();
    const old = await pool.get('prog_1', settings, 1);
    const fresh = await pool.get('prog_1', settings, 2);
    expect(fresh).not.toBe(old);
    await Promise.resolve();
    expect(built[0].transport.close).toHaveBeenCalledTimes(1);
  });

  it('rebuilds when the credentials change under the same version', async () => {
    const { pool, built } = setup();
    await pool.get('prog_1', settings, 1);
    await pool.get('prog_1', { ...settings, password: 'pw-2' }, 1);
    expect(built).toHaveLength(2);
  });

  it('rebuilds after maxAgeMs so the host is resolved and checked again', async () => {
    const { pool, built, resolver, advance } = setup({ maxAgeMs: 60_000 });
    await pool.get('prog_1', settings, 1);
    advance(59_000);
    await pool.get('prog_1', settings, 1);
    advance(2_000);
    await pool.get('prog_1', settings, 1);
    expect(built).toHaveLength(2);
    expect(resolver).toHaveBeenCalledTimes(2);
  });

  it('lets a replaced transport finish its queue before closing it', async () => {
    const { pool, built } = setup();
    await pool.get('prog_1', settings, 1);
    built[0].transport.idle = false;
    await pool.get('prog_1', settings, 2);
    await Promise.resolve();
    expect(built[0].transport.close).not.toHaveBeenCalled();
    built[0].transport.emit('idle');
    expect(built[0].transport.close).toHaveBeenCalledTimes(1);
  });

  it('closes a busy replaced transport after the drain timeout', async () => {
    jest.useFakeTimers();
    try {
      const { pool, built } = setup({ drainTimeoutMs: 5_000 });
      await pool.get('prog_1', settings, 1);
      built[0].transport.idle = false;
      await pool.get('prog_1', settings, 2);
      await Promise.resolve();
      jest.advanceTimersByTime(5_000);
      expect(built[0].transport.close).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('runs the host guard on every build and does not cache a refusal', async () => {
    let address = '10.0.0.5';
    const { pool, built } = setup({ resolver: async () => [{ address, family: 4 }] });
    await expect(pool.get('prog_1', settings, 1)).rejects.toMatchObject({
      code: 'SMTP_HOST_NOT_ALLOWED',
    });
    expect(pool.size).toBe(0);
    address = '93.184.216.34';
    await expect(pool.get('prog_1', settings, 1)).resolves.toBeDefined();
    expect(built).toHaveLength(1);
  });

  it('refuses unusable settings before resolving', async () => {
    const { pool, resolver } = setup();
    const err: unknown = await pool
      .get('prog_1', { ...settings, security: 'none' }, 1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpError);
    expect(err).toMatchObject({ code: 'SMTP_PLAINTEXT_AUTH_REFUSED' });
    expect(resolver).not.toHaveBeenCalled();
  });

  it('closes one key at once, even while busy', async () => {
    const { pool, built } = setup();
    await pool.get('prog_1', settings, 1);
    built[0].transport.idle = false;
    await pool.close('prog_1');
    expect(built[0].transport.close).toHaveBeenCalledTimes(1);
    expect(pool.size).toBe(0);
    await expect(pool.close('unknown')).resolves.toBeUndefined();
  });

  it('closes everything, including transports still draining', async () => {
    const { pool, built } = setup();
    await pool.get('prog_1', settings, 1);
    await pool.get('prog_2', settings, 1);
    built[0].transport.idle = false;
    await pool.get('prog_1', settings, 2);
    const closing = pool.closeAll();
    built[0].transport.emit('idle');
    await closing;
    for (const { transport } of built) expect(transport.close).toHaveBeenCalledTimes(1);
    expect(pool.size).toBe(0);
  });
});
