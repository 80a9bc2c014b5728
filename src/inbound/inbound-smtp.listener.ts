import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { ConsentService } from '../consent/consent.service';
import { ProgramsService } from '../programs/programs.service';
import { SenderDomainService } from '../sender-domains/sender-domain.service';
import { decodeInboundAddress } from './inbound-addresses';
import { InboundService } from './inbound.service';

type Reply = Error & { responseCode: number };
const reply = (responseCode: number, message: string): Reply =>
  Object.assign(new Error(message), { responseCode });

/**
 * The inbound SMTP listener (worker role): takes mail only for addresses it can decode (return
 * paths, forwarding addresses) and refuses every other recipient at RCPT, so it is never a relay.
 * A message is stored before the 250, so a crash after the answer loses nothing.
 */
@Injectable()
export class InboundSmtpListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: SMTPServer;
  private readonly recent = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly inbound: InboundService,
    private readonly programs: ProgramsService,
    private readonly domains: SenderDomainService,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly consent: ConsentService,
  ) {}

  /** The port it listens on; null when it is off. */
  get port(): number | null {
    const address = this.server?.server.address();
    return address && typeof address === 'object' ? address.port : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { INBOUND_SMTP_PORT: port, INBOUND_SMTP_HOST: host } = this.config;
    if (port === 0) return;
    const tls =
      this.config.INBOUND_TLS_KEY_FILE && this.config.INBOUND_TLS_CERT_FILE
        ? {
            key: readFileSync(this.config.INBOUND_TLS_KEY_FILE),
            cert: readFileSync(this.config.INBOUND_TLS_CERT_FILE),
          }
        : null;
    const server = new SMTPServer({
      name: this.config.INBOUND_DOMAIN,
      banner: 'inbound mail for bounces and replies',
      authOptional: true,
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(tls ?? {}),
      size: this.config.INBOUND_MAX_BYTES,
      maxClients: 100,
      logger: false,
      onConnect: (session, done) => done(this.admit(session) ?? undefined),
      onRcptTo: (address, _session, done) => {
        this.programOf(address.address).then(
          () => done(),
          (err: Reply) => done(err),
        );
      },
      onData: (stream, session, done) => this.receive(stream, session, done),
    });
    server.on('error', (err) => this.logger.warn({ err }, 'inbound smtp listener error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(
                `INBOUND_SMTP_PORT ${port} is in use on ${host}: set another port, or 0 to turn the listener off on this process.`,
              )
            : err,
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.logger.info(
      { host, port: this.port, domain: this.config.INBOUND_DOMAIN },
      'inbound smtp listener ready',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // A client that sends more than its share in a minute is told to come back later (421 ends
  // the session; a real MTA queues and retries).
  private admit(session: SMTPServerSession): Reply | null {
    const ip = session.remoteAddress;
    const now = Date.now();
    const entry = this.recent.get(ip);
    if (!entry || now - entry.windowStart >= 60_000) {
      this.recent.set(ip, { windowStart: now, count: 0 });
      if (this.recent.size > 10_000) this.recent.clear();
      return null;
    }
    if (entry.count >= this.config.INBOUND_MESSAGES_PER_MINUTE) {
      return reply(421, '4.7.0 Too many messages from your address; try again in a minute');
    }
    return null;
  }

  /** The program an address of ours belongs to, if it says; throws the reply refusing it. */
  private async programOf(address: string): Promise<string | null> {
    const decoded = decodeInboundAddress(address, this.config.INBOUND_DOMAIN);
    if (!decoded)
      throw reply(550, '5.1.1 No such mailbox here: this server takes only bounces and replies');
    if (decoded.kind === 'unsubscribe') {
      // Only an address this service signed, for a message that may be left.
      const message = await this.consent.messageOfMailto(decoded.localPart);
      if (!message) throw reply(550, '5.1.1 No such mailbox here');
      return message.programId;
    }
    if (decoded.kind === 'forwarding') {
      const program = await this.programs.findByInboundTag(decoded.programTag);
      if (!program) throw reply(550, '5.1.1 No such mailbox here');
      return program.id;
    }
    if (decoded.domain === this.config.INBOUND_DOMAIN.toLowerCase()) return null;
    // A custom domain's return-path host: only for a domain a program verified.
    const domain = await this.domains.findVerifiedDomain(decoded.domain.slice('bounces.'.length));
    if (!domain) throw reply(550, '5.1.2 This server takes no mail for that domain');
    return domain.programId;
  }

  private receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    done: (err?: Error | null) => void,
  ): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        done(reply(552, `5.3.4 Message too big: at most ${this.config.INBOUND_MAX_BYTES} bytes`));
        return;
      }
      const raw = Buffer.concat(chunks);
      const entry = this.recent.get(session.remoteAddress);
      if (entry) entry.count++;
      const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
      // Stored before the 250: an email for several of our addresses is stored once for each.
      Promise.all(
        session.envelope.rcptTo.map(async ({ address }) =>
          this.inbound.accept(raw, {
            source: 'smtp',
            envelopeFrom,
            envelopeTo: address,
            programId: await this.programOf(address),
          }),
        ),
      ).then(
        () => done(),
        (err: unknown) => {
          this.logger.error({ err }, 'storing an inbound email failed');
          done(reply(451, '4.3.0 Could not store the message; try again later'));
        },
      );
    });
    stream.on('error', (err) => done(err));
  }
}
