// The loopback fake of Microsoft (test/fake-microsoft), bundled by bench/sync.mjs, run in its own
// process for the sync measures: the parent sends it commands over IPC (set up N customers, limits,
// latency; read its counters), so the CLI under measure and the fake never share a core's time
// slices inside one event loop.
const { startFakeMicrosoft } = await import(process.env.FAKE_BUNDLE);
const fake = await startFakeMicrosoft();
fake.strict = false;

const tenant = (i) => `${String(i).padStart(8, '0')}-1b2c-4d3e-8f4a-5b6c7d8e9f01`;

const commands = {
  /** n customers, each with an active GDAP relationship; every third with DAP at Partner Center. */
  setup({ n, pageSize = 100 }) {
    fake.reset();
    fake.pageSize = pageSize;
    for (let i = 1; i <= n; i++) {
      fake.addCustomer({ tenantId: tenant(i), displayName: `Customer ${i}`, defaultDomainName: `customer${i}.example`, allowDelegatedAccess: i % 3 === 0 });
      fake.addRelationship({ displayName: `GDAP ${i}`, status: 'active', customer: { tenantId: tenant(i), displayName: `Customer ${i}` } });
    }
    return fake.env();
  },
  /** Limits enforced like Microsoft's (429 with Retry-After past them) and a latency on every answer. */
  limits({ limits, latencyMs }) {
    fake.enforce(limits ?? {});
    fake.latencyMs = latencyMs ?? 0;
    return true;
  },
  clearLimits() {
    fake.enforce({});
    fake.latencyMs = 0;
    return true;
  },
  /** Requests seen since the last reset: by service, $batch parts counted one by one (the envelopes not). */
  counts() {
    const out = { total: 0, tenantRelationships: 0, identity: 0, identityUnits: 0, partnerCenter: 0, throttled: 0 };
    for (const r of fake.requests) {
      if (r.path === '/$batch') continue;
      out.total++;
      if (r.service === 'partnerCenter') out.partnerCenter++;
      else if (r.path.startsWith('/tenantRelationships')) out.tenantRelationships++;
      else {
        out.identity++;
        out.identityUnits += /^\/contracts$|\/members$/.test(r.path) ? 3 : 1;
      }
    }
    out.throttled = Object.values(fake.limits.throttled).reduce((a, b) => a + b, 0);
    return out;
  },
  reset() {
    fake.requests.length = 0;
    for (const k of Object.keys(fake.limits.throttled)) fake.limits.throttled[k] = 0;
    return true;
  },
  async close() {
    await fake.close();
    setImmediate(() => process.disconnect());
    return true;
  },
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    process.send({ id, ok: true, value: await commands[cmd](args ?? {}) });
  } catch (e) {
    process.send({ id, ok: false, error: String(e?.stack ?? e) });
  }
});
process.send({ ready: true });
