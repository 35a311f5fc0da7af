// Jest setup for the "e2e on postgres" project: every sandbox's store is a PostgreSQL schema.
process.env.DELEGATE_TEST_STORE = 'postgres';
