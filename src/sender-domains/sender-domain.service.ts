import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { isUniqueViolation } from '../common/errors/database-errors';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { fromAddressDomain, type SenderDomainKey } from './dkim-keys';
import {
  createDkimSelector,
  dkimPublicKeyFromPrivate,
  generateDkimKeyPair,
  InvalidSenderDomainError,
  normalizeSenderDomain,
} from './dkim-keys';
import { buildSenderDnsRecords, type SenderDnsPlatform } from './dns-records';
import {
  DnsVerifier,
  parseDnsServers,
  type SenderDnsRecordCheck,
  type SenderDomainVerification,
} from './dns-verifier';
import type { PutSenderDomainDto, SenderDomainResponse } from './dto/sender-domain.dto';
import { EntityQueries } from '../database/entity-queries';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { SenderDomain } from './sender-domain.entity';
import { ProgramAlerts } from '../notifications/program-alerts';
import type { Program } from '../programs/program.entity';

export function toSenderDomainView(d: SenderDomain, signsUntil: Date | null): SenderDomainResponse {
  return {
    domain: d.domain,
    status: d.status,
    fromAddress: d.fromAddress,
    fromName: d.fromName,
    selector: d.selector,
    records: d.records.map((r) => ({
      type: r.type,
      name: r.name,
      value: r.value,
      ...(r.strings ? { strings: r.strings } : {}),
      purpose: r.purpose,
      status: r.status,
      required: r.required,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.found.length ? { found: r.found } : {}),
    })),
    checkedAt: d.checkedAt?.toISOString() ?? null,
    verifiedAt: d.verifiedAt?.toISOString() ?? null,
    failingSince: d.failingSince?.toISOString() ?? null,
    signsUntil: signsUntil?.toISOString() ?? null,
  };
}

/**
 * Keeps a verified domain verified when the only failures are DNS outages (SERVFAIL, timeouts):
 * a resolver having a bad minute says nothing about the records.
 */
export function nextDomainStatus(
  previous: SenderDomain['status'],
  result: SenderDomainVerification,
): SenderDomain['status'] {
  if (previous !== 'verified' || result.status !== 'failed') return result.status;
  const required = result.records.filter((r) => r.required);
  const outageOnly = required.every((r) => r.status === 'verified' || r.code === 'LOOKUP_FAILED');
  return outageOnly ? 'verified' : 'failed';
}

/** A program's custom From domain for the built-in sender: DKIM key, records to publish, DNS check. */
@Injectable()
export class SenderDomainService {
  private readonly platform: SenderDnsPlatform;
  private readonly verifier: DnsVerifier;
  private readonly queries: EntityQueries<SenderDomain>;
  private readonly graceHours: number;

  constructor(
    @InjectRepository(SenderDomain) private readonly domains: Repository<SenderDomain>,
    private readonly secrets: IntegrationSecrets,
    private readonly alerts: ProgramAlerts,
    config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    this.graceHours = config.SENDER_DOMAIN_GRACE_HOURS;
    this.platform = {
      spfInclude: config.SENDER_SPF_INCLUDE,
      bounceHost: config.SENDER_BOUNCE_HOST,
    };
    this.queries = new EntityQueries(domains);
    this.verifier = new DnsVerifier({ servers: parseDnsServers(config.DNS_SERVERS) });
  }

  /** The program's domain of that name, while it signs (verified, or failing within its grace). */
  async findVerifiedDomain(domain: string): Promise<SenderDomain | null> {
    const found = await this.domains.find({ where: { domain: domain.toLowerCase() } });
    return found.find((d) => this.signingKeyOf(d) !== undefined) ?? null;
  }

  find(programId: string): Promise<SenderDomain | null> {
    return this.queries.findOne({ programId });
  }

  async get(programId: string): Promise<SenderDomain> {
    const found = await this.find(programId);
    if (!found)
      throw new AppError(
        404,
        'SENDER_DOMAIN_NOT_SET',
        'No sender domain is set; the built-in sender uses its own From address.',
      );
    return found;
  }

  /**
   * The DKIM key for the built-in sender: while the domain is verified, and for a grace period
   * after a domain that was verified starts failing its check (its records may be back soon).
   */
  signingKeyOf(domain: SenderDomain, now = new Date()): SenderDomainKey | undefined {
    const graceUntil = this.graceUntil(domain);
    if (domain.status !== 'verified' && !(graceUntil && now < graceUntil)) return undefined;
    return {
      domain: domain.domain,
      selector: domain.selector,
      privateKeyPem: this.secrets.open(domain.programId, domain.privateKeySealed),
      status: 'verified',
    };
  }

  /**
   * Sets the domain and From address. A new domain gets a new key pair and starts pending;
   * the same domain keeps its key, records and status, and only the From changes.
   */
  async put(programId: string, dto: PutSenderDomainDto): Promise<SenderDomain> {
    let domain: string;
    try {
      domain = normalizeSenderDomain(dto.domain);
    } catch (err) {
      if (err instanceof InvalidSenderDomainError) throw AppError.badRequest(err.code, err.message);
      throw err;
    }
    if (fromAddressDomain(dto.fromAddress) !== domain) {
      throw AppError.badRequest(
        'FROM_DOMAIN_MISMATCH',
        `fromAddress must be an address at ${domain}, such as rewards@${domain}.`,
      );
    }
    const existing = await this.find(programId);
    const now = new Date();
    const from = { fromAddress: dto.fromAddress, fromName: dto.fromName ?? null, updatedAt: now };
    if (existing && existing.domain === domain) {
      await this.domains.update({ id: existing.id }, from);
      return Object.assign(existing, from);
    }
    const keys = await generateDkimKeyPair();
    // Unique per domain across programs: a second program on the domain must not be told to
    // replace the record the first one signs with.
    const others = await this.domains.find({ where: { domain }, select: { selector: true } });
    const selector = createDkimSelector(now, [
      ...others.map((d) => d.selector),
      ...(existing ? [existing.selector] : []),
    ]);
    const records: SenderDnsRecordCheck[] = buildSenderDnsRecords(
      { domain, selector, publicKey: keys.publicKey },
      this.platform,
    ).map((r) => ({
      ...r,
      status: 'pending',
      found: [],
    }));
    const fields = {
      domain,
      selector,
      privateKeySealed: this.secrets.seal(programId, keys.privateKeyPem),
      ...from,
      status: 'pending' as const,
      records,
      checkedAt: null,
      verifiedAt: null,
    };
    if (existing) {
      await this.domains.update({ id: existing.id }, fields);
      this.logger.info({ programId, domain }, 'sender domain changed');
      return Object.assign(existing, fields);
    }
    const row = this.domains.create({ id: randomUUID(), programId, ...fields, createdAt: now });
    try {
      await this.domains.insert(row);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // Another request set a domain at the same moment; apply this one over it.
      return this.put(programId, dto);
    }
    this.logger.info({ programId, domain }, 'sender domain added');
    return row;
  }

  /** What the API and the console show of a domain. */
  view(domain: SenderDomain): SenderDomainResponse {
    return toSenderDomainView(domain, this.graceUntil(domain));
  }

  /** Until when a failing domain still signs; null when it is not failing. */
  graceUntil(domain: Pick<SenderDomain, 'failingSince'>): Date | null {
    return domain.failingSince
      ? new Date(domain.failingSince.getTime() + this.graceHours * 3600_000)
      : null;
  }

  /**
   * Looks the records up in DNS and records what was found. A domain that was verified and now
   * fails starts its grace period, and the program's alert address is told once.
   */
  async verify(program: Program): Promise<SenderDomain> {
    const programId = program.id;
    const existing = await this.get(programId);
    // Records are rebuilt from the stored key, so a changed platform setting shows up at the next check.
    const publicKey = dkimPublicKeyFromPrivate(
      this.secrets.open(programId, existing.privateKeySealed),
    );
    const records = buildSenderDnsRecords(
      { domain: existing.domain, selector: existing.selector, publicKey },
      this.platform,
    );
    const result = await this.verifier.verify(records);
    const status = nextDomainStatus(existing.status, result);
    // Mail went out from this domain: a failure now starts (or continues) its grace period.
    const inUse = existing.status === 'verified' || existing.failingSince !== null;
    const failingSince =
      status === 'verified' || !inUse ? null : (existing.failingSince ?? result.checkedAt);
    const fields = {
      status,
      records: result.records,
      checkedAt: result.checkedAt,
      verifiedAt: status === 'verified' ? (existing.verifiedAt ?? result.checkedAt) : null,
      failingSince,
      updatedAt: new Date(),
    };
    // Only if the domain is still the one checked: a PUT in between wins.
    await this.domains.update(
      { id: existing.id, domain: existing.domain, selector: existing.selector },
      fields,
    );
    if (status !== existing.status)
      this.logger.info(
        { programId, domain: existing.domain, status },
        'sender domain status changed',
      );
    if (failingSince && !existing.failingSince) {
      const broken = result.records.find((r) => r.required && r.status !== 'verified');
      await this.alerts.send(
        undefined,
        program,
        {
          kind: 'sender-domain-failing',
          domain: existing.domain,
          until: this.graceUntil({ failingSince }),
          detail: broken?.reason ?? null,
          consolePath: '/console/integrations',
        },
        `sender-domain-failing:${existing.id}:${failingSince.toISOString()}`,
      );
    }
    return Object.assign(existing, fields);
  }

  async remove(programId: string): Promise<void> {
    await this.domains.delete({ programId });
  }
}
