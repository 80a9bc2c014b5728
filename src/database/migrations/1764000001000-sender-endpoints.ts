import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { endpointKey } from '../../transports/accounts/endpoints';
import { defaultImapSettings } from '../../transports/imap/sent-folder';
import type { SmtpSecurity } from '../../transports/smtp/smtp-settings';
import { col, isPostgres } from '../migration-types';

interface Row {
  id: string;
  host: string | null;
  port: number | null;
  security: SmtpSecurity | null;
  imapHost: string | null;
  imapPort: number | null;
  imapSecurity: SmtpSecurity | null;
}

/**
 * Each sender identity records the SMTP and IMAP servers its password was entered for, so a
 * stored password is never sent anywhere else. Existing identities get the servers in effect now.
 */
export class SenderEndpoints1764000001000 implements MigrationInterface {
  name = 'SenderEndpoints1764000001000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumn(
      'sender_identities',
      new TableColumn(col('smtpEndpoint', 'varchar', { length: '300', default: "''" })),
    );
    await runner.addColumn(
      'sender_identities',
      new TableColumn(col('imapEndpoint', 'varchar', { length: '300', isNullable: true })),
    );
    const rows: Row[] = await runner.query(
      'SELECT s."id", i."host", i."port", i."security", s."imapHost", s."imapPort", s."imapSecurity" ' +
        'FROM "sender_identities" s LEFT JOIN "smtp_integrations" i ON i."programId" = s."programId"',
    );
    const p = (n: number) => (isPostgres(runner) ? `$${n}` : '?');
    for (const r of rows) {
      if (!r.host || !r.port || !r.security) continue;
      const smtp = endpointKey({ host: r.host, port: Number(r.port), security: r.security });
      const imap =
        r.imapHost && r.imapPort && r.imapSecurity
          ? { host: r.imapHost, port: Number(r.imapPort), security: r.imapSecurity }
          : defaultImapSettings(r.host);
      await runner.query(
        `UPDATE "sender_identities" SET "smtpEndpoint" = ${p(1)}, "imapEndpoint" = ${p(2)} WHERE "id" = ${p(3)}`,
        [smtp, endpointKey(imap), r.id],
      );
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('sender_identities', 'imapEndpoint');
    await runner.dropColumn('sender_identities', 'smtpEndpoint');
  }
}
