import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { col, timestampType } from '../migration-types';

// The accounts that can sign in with OAuth instead of a password.
const ACCOUNT_TABLES = ['smtp_integrations', 'sender_identities', 'inbound_mailboxes'];
// Those with a password column that an OAuth account leaves empty.
const PASSWORD_TABLES = ['sender_identities', 'inbound_mailboxes'];

/**
 * OAuth 2.0 sign-in (XOAUTH2): the grants (refresh and access tokens, sealed), the authorization
 * requests under way, and on each account how it logs in. `reauthorization_required` is longer
 * than the status columns were.
 */
export class OAuth1764000007000 implements MigrationInterface {
  name = 'OAuth1764000007000';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'oauth_grants',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('owner', 'varchar', { length: '220' }),
          col('provider', 'varchar', { length: '16' }),
          col('email', 'varchar', { length: '320' }),
          col('scope', 'text'),
          col('tokenUrl', 'text'),
          col('refreshTokenSealed', 'text'),
          col('accessTokenSealed', 'text', { isNullable: true }),
          col('accessTokenExpiresAt', ts, { isNullable: true }),
          col('tokenVersion', 'integer'),
          col('refreshClaimUntil', ts, { isNullable: true }),
          col('status', 'varchar', { length: '16' }),
          col('lastErrorCode', 'varchar', { length: '64', isNullable: true }),
          col('lastErrorMessage', 'text', { isNullable: true }),
          col('refreshedAt', ts, { isNullable: true }),
          col('createdAt', ts),
          col('updatedAt', ts),
        ],
      }),
    );
    await runner.createIndex(
      'oauth_grants',
      new TableIndex({
        name: 'UQ_oauth_grants_program_owner',
        columnNames: ['programId', 'owner'],
        isUnique: true,
      }),
    );
    await runner.createTable(
      new Table({
        name: 'oauth_states',
        columns: [
          col('id', 'varchar', { length: '64', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('purpose', 'varchar', { length: '16' }),
          col('provider', 'varchar', { length: '16' }),
          col('request', 'text'),
          col('verifierSealed', 'text'),
          col('expiresAt', ts),
          col('usedAt', ts, { isNullable: true }),
          col('createdAt', ts),
        ],
      }),
    );
    await runner.createIndex(
      'oauth_states',
      new TableIndex({ name: 'IDX_oauth_states_expires', columnNames: ['expiresAt'] }),
    );

    for (const name of ACCOUNT_TABLES) {
      await runner.addColumns(name, [
        new TableColumn(col('authType', 'varchar', { length: '16', default: "'password'" })),
        new TableColumn(col('oauthProvider', 'varchar', { length: '16', isNullable: true })),
      ]);
      const table = await runner.getTable(name);
      if (!table) throw new Error(`table ${name} not found`);
      const changes: Array<{ oldColumn: TableColumn; newColumn: TableColumn }> = [];
      const status = table.findColumnByName('status');
      if (status) {
        const widened = status.clone();
        widened.length = '32';
        changes.push({ oldColumn: status, newColumn: widened });
      }
      const password = PASSWORD_TABLES.includes(name)
        ? table.findColumnByName('passwordSealed')
        : undefined;
      if (password) {
        const optional = password.clone();
        optional.isNullable = true;
        changes.push({ oldColumn: password, newColumn: optional });
      }
      // One change of the table on SQLite, where each change copies it.
      await runner.changeColumns(table, changes);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const name of ACCOUNT_TABLES) {
      // Accounts that signed in with OAuth have no password to go back to.
      if (PASSWORD_TABLES.includes(name))
        await runner.query(`DELETE FROM "${name}" WHERE "authType" = 'oauth2'`);
      await runner.query(
        `UPDATE "${name}" SET "status" = 'failing' WHERE "status" = 'reauthorization_required'`,
      );
      const table = await runner.getTable(name);
      if (!table) throw new Error(`table ${name} not found`);
      const changes: Array<{ oldColumn: TableColumn; newColumn: TableColumn }> = [];
      const status = table.findColumnByName('status');
      if (status) {
        const narrowed = status.clone();
        narrowed.length = '16';
        changes.push({ oldColumn: status, newColumn: narrowed });
      }
      const password = PASSWORD_TABLES.includes(name)
        ? table.findColumnByName('passwordSealed')
        : undefined;
      if (password) {
        const required = password.clone();
        required.isNullable = false;
        changes.push({ oldColumn: password, newColumn: required });
      }
      await runner.changeColumns(table, changes);
      await runner.dropColumn(name, 'oauthProvider');
      await runner.dropColumn(name, 'authType');
    }
    await runner.dropIndex('oauth_states', 'IDX_oauth_states_expires');
    await runner.dropTable('oauth_states');
    await runner.dropIndex('oauth_grants', 'UQ_oauth_grants_program_owner');
    await runner.dropTable('oauth_grants');
  }
}
