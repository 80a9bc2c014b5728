// Runs before every test file. The suite uses the machine's Postgres and Redis only when
// TEST_DATABASE_URL / TEST_REDIS_URL are set; otherwise SQLite and the in-process queue.
process.env.LOG_LEVEL ??= 'silent';
if (process.env.TEST_DATABASE_URL) process.env.DATABASE_URL = process.env.TEST_DATABASE_URL;
else delete process.env.DATABASE_URL;
if (process.env.TEST_REDIS_URL) process.env.REDIS_URL = process.env.TEST_REDIS_URL;
else delete process.env.REDIS_URL;
