import { createServer } from 'node:net';
import type { AppConfig } from '../config/app.config';

/** A port the process must listen on, by the setting that names it. */
export interface ListenPort {
  setting: 'PORT' | 'INBOUND_SMTP_PORT';
  port: number;
  host: string;
}

/** The ports this process listens on: HTTP, and the inbound SMTP listener where it runs. */
export function listenPorts(
  config: Pick<AppConfig, 'PORT' | 'HOST' | 'APP_ROLE' | 'INBOUND_SMTP_PORT' | 'INBOUND_SMTP_HOST'>,
): ListenPort[] {
  const ports: ListenPort[] = [];
  if (config.PORT !== 0) ports.push({ setting: 'PORT', port: config.PORT, host: config.HOST });
  if (config.APP_ROLE !== 'api' && config.INBOUND_SMTP_PORT !== 0)
    ports.push({
      setting: 'INBOUND_SMTP_PORT',
      port: config.INBOUND_SMTP_PORT,
      host: config.INBOUND_SMTP_HOST,
    });
  return ports;
}

/** The error code of listening on the port (EADDRINUSE, EACCES), or null when it is free. */
export function tryListen({ port, host }: ListenPort): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'ERROR'));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}

/** What to tell a person whose process cannot listen on a port, and what to change. */
export function portProblem(p: ListenPort, code: string): string {
  const where = `${p.setting === 'PORT' ? 'port' : 'INBOUND_SMTP_PORT'} ${p.port} on ${p.host}`;
  const fix =
    p.setting === 'PORT'
      ? `set PORT to a free port, e.g. PORT=${p.port < 65535 ? p.port + 1 : 3001} npm start`
      : 'set INBOUND_SMTP_PORT to a free port, or to 0 to turn the inbound mail listener off in this process';
  if (code === 'EADDRINUSE')
    return `${where[0].toUpperCase()}${where.slice(1)} is in use (is another npm start still running?); stop that process, or ${fix}.`;
  if (code === 'EACCES')
    return `Listening on ${where} is not allowed for this user (ports below 1024 need privileges); ${fix}.`;
  if (code === 'EADDRNOTAVAIL')
    return `${p.host} is not an address of this machine; set ${p.setting === 'PORT' ? 'HOST' : 'INBOUND_SMTP_HOST'} to one of its addresses, such as 127.0.0.1 or 0.0.0.0.`;
  return `Cannot listen on ${where} (${code}); ${fix}.`;
}

/** Every port of `ports` this process cannot listen on, with what to do about each. */
export async function portProblems(ports: ListenPort[]): Promise<string[]> {
  const problems: string[] = [];
  for (const p of ports) {
    const code = await tryListen(p);
    if (code) problems.push(portProblem(p, code));
  }
  return problems;
}
