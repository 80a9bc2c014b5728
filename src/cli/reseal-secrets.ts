import { DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import type { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { Message } from '../messages/message.entity';
import { SenderDomain } from '../sender-domains/sender-domain.entity';
import { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';

/** A column that holds values sealed with IntegrationSecrets, bound to the row's programId. */
interface SealedColumn {
  entity: EntityTarget<ObjectLiteral>;
  property: string;
}

// Every sealed column. A new one belongs here too, or rotating APP_SECRET strands its values.
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { entity: SmtpIntegration, property: 'passwordSealed' },
  { entity: SenderIdentity, property: 'passwordSealed' },
  { entity: SenderDomain, property: 'privateKeySealed' },
  // One-time links of messages not sent yet.
  { entity: Message, property: 'sealedData' },
];

export interface ColumnReport {
  /** `table.column`, e.g. `smtp_integrations.passwordSealed`. */
  column: string;
  /** Values stored (not null). */
  values: number;
  resealed: number;
  alreadyCurrent: number;
  /** Changed by the service while this ran; what it wrote is sealed under the current secret. */
  changedMeanwhile: number;
  /** Rows whose value no given secret opens, with why (SECRET_KEY_UNKNOWN, ...): never the value. */
  failed: Array<{ id: string; code: string }>;
}

const PAGE = 500;

async function resealColumn(
  dataSource: DataSource,
  secrets: IntegrationSecrets,
  { entity, property }: SealedColumn,
): Promise<ColumnReport> {
  const repository = dataSource.getRepository(entity);
  const report: ColumnReport = {
    column: `${repository.metadata.tableName}.${property}`,
    values: 0,
    resealed: 0,
    alreadyCurrent: 0,
    changedMeanwhile: 0,
    failed: [],
  };
  // Keyset pages by id: a long table is read a page at a time, and rows re-sealed stay behind.
  let after = '';
  for (;;) {
    const rows = (await repository
      .createQueryBuilder('row')
      .select(['row.id', 'row.programId', `row.${property}`])
      .where(`row.${property} IS NOT NULL`)
      .andWhere('row.id > :after', { after })
      .orderBy('row.id', 'ASC')
      .limit(PAGE)
      .getMany()) as Array<{ id: string; programId: string } & Record<string, string>>;
    for (const row of rows) {
      const sealed = row[property];
      report.values++;
      if (!secrets.needsReseal(sealed)) {
        report.alreadyCurrent++;
        continue;
      }
      let resealed: string;
      try {
        resealed = secrets.reseal(row.programId, sealed);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        report.failed.push({ id: row.id, code: err.code });
        continue;
      }
      // Only over the value read: a credential the service saved meanwhile is kept.
      const result = await repository.update(
        { id: row.id, [property]: sealed },
        { [property]: resealed },
      );
      if (result.affected === 1) report.resealed++;
      else report.changedMeanwhile++;
    }
    if (rows.length < PAGE) return report;
    after = rows[rows.length - 1].id;
  }
}

/**
 * Seals every stored secret that an earlier APP_SECRET sealed again under the current one.
 * Running it again changes nothing. Values no given secret opens are reported and left as they are.
 */
export async function resealSecrets(
  dataSource: DataSource,
  secrets: IntegrationSecrets,
): Promise<ColumnReport[]> {
  const reports: ColumnReport[] = [];
  for (const column of SEALED_COLUMNS)
    reports.push(await resealColumn(dataSource, secrets, column));
  return reports;
}
