import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, timestamps, timestampType } from '../migration-types';

export class Integrations1764000000200 implements MigrationInterface {
  name = 'Integrations1764000000200';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    const lastError = [
      col('lastErrorCode', 'varchar', { length: '64', isNullable: true }),
      col('lastErrorMessage', 'text', { isNullable: true }),
      col('lastErrorAt', ts, { isNullable: true }),
    ];
    await runner.createTable(
      new Table({
        name: 'smtp_integrations',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('host', 'varchar', { length: '253' }),
          col('port', 'integer'),
          col('security', 'varchar', { length: '8' }),
          col('username', 'varchar', { length: '320', isNullable: true }),
          col('passwordSealed', 'text', { isNullable: true }),
          col('testFromAddress', 'varchar', { length: '320', isNullable: true }),
          col('fromAddress', 'varchar', { length: '320' }),
          col('fromName', 'varchar', { length: '200', isNullable: true }),
          col('status', 'varchar', { length: '16' }),
          ...lastError,
          col('version', 'integer'),
          col('connectedAt', ts),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createIndex(
      'smtp_integrations',
      new TableIndex({
        name: 'UQ_smtp_integrations_program',
        columnNames: ['programId'],
        isUnique: true,
      }),
    );

    await runner.createTable(
      new Table({
        name: 'sender_identities',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('senderId', 'varchar', { length: '200' }),
          col('email', 'varchar', { length: '320' }),
          col('fromName', 'varchar', { length: '200', isNullable: true }),
          col('passwordSealed', 'text'),
          col('saveToSent', 'varchar', { length: '8' }),
          col('imapHost', 'varchar', { length: '253', isNullable: true }),
          col('imapPort', 'integer', { isNullable: true }),
          col('imapSecurity', 'varchar', { length: '8', isNullable: true }),
          col('sentFolder', 'varchar', { length: '200', isNullable: true }),
          col('status', 'varchar', { length: '16' }),
          ...lastError,
          col('version', 'integer'),
          col('verifiedAt', ts),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createIndex(
      'sender_identities',
      new TableIndex({
        name: 'UQ_sender_identities_program_sender',
        columnNames: ['programId', 'senderId'],
        isUnique: true,
      }),
    );

    await runner.createTable(
      new Table({
        name: 'sender_domains',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('domain', 'varchar', { length: '253' }),
          col('selector', 'varchar', { length: '63' }),
          col('privateKeySealed', 'text'),
          col('fromAddress', 'varchar', { length: '320' }),
          col('fromName', 'varchar', { length: '200', isNullable: true }),
          col('status', 'varchar', { length: '16' }),
          col('records', 'text'),
          col('checkedAt', ts, { isNullable: true }),
          col('verifiedAt', ts, { isNullable: true }),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createIndex(
      'sender_domains',
      new TableIndex({
        name: 'UQ_sender_domains_program',
        columnNames: ['programId'],
        isUnique: true,
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('sender_domains');
    await runner.dropTable('sender_identities');
    await runner.dropTable('smtp_integrations');
  }
}
