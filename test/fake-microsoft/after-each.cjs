/**
 * After every test: no fake Microsoft running in this test file received a Graph request that
 * Microsoft's Graph v1.0 metadata does not describe (server.ts answers such a request 400 and
 * records it). A test that sends a bad request on purpose takes its violations itself
 * (fake.takeViolations()). Registered in jest.config.js (setupFilesAfterEnv).
 */
afterEach(() => {
  const running = globalThis.__delegateFakeMicrosoft;
  if (!running) return;
  const found = [];
  for (const fake of running) found.push(...fake.takeViolations());
  if (found.length) {
    const lines = found.map((v) => `  ${v.method} ${v.path}${v.inBatch ? ' (in $batch)' : ''}: ${v.problems.join('; ')}`);
    throw new Error(`The fake Microsoft received ${found.length} Graph request(s) its v1.0 metadata does not describe:\n${lines.join('\n')}`);
  }
});
