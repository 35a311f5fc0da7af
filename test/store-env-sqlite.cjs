// Jest setup for the default project: stores are SQLite files (a worker may have run the
// PostgreSQL project's files before, and process.env is the worker's).
delete process.env.DELEGATE_TEST_STORE;
