import { AdvancedConsoleLogger, type DataSource, type QueryRunner } from 'typeorm';

/**
 * TypeORM's default logger (with logging off it logs nothing but slow queries and migrations)
 * that also counts every statement the data source sends: each one goes through `logQuery`,
 * transaction control (BEGIN, COMMIT, savepoints) included. Counting costs an increment; the
 * statement itself is never kept, so no value leaves the process this way.
 */
export class StatementCountingLogger extends AdvancedConsoleLogger {
  statements = 0;

  constructor() {
    super(false);
  }

  override logQuery(query: string, parameters?: unknown[], queryRunner?: QueryRunner): void {
    this.statements++;
    super.logQuery(query, parameters, queryRunner);
  }
}

/** How many SQL statements this process's data source has sent since it started. */
export class DatabaseStatements {
  constructor(private readonly logger: StatementCountingLogger) {}

  static of(dataSource: DataSource): DatabaseStatements {
    const logger = dataSource.logger;
    if (!(logger instanceof StatementCountingLogger))
      throw new Error('The data source was built without the statement-counting logger');
    return new DatabaseStatements(logger);
  }

  get total(): number {
    return this.logger.statements;
  }
}
