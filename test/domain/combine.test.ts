/**
 * combine(): per-item changes (e.g. `client extend` decided client by client) carried out as one:
 * ids stay unique and references follow their request, and each item records from its own answers.
 */
import { describe, expect, test } from '@jest/globals';
import { fixedClock } from '../../src/domain/core/clock.js';
import { combine, type Change, type Responses, type StepFailure } from '../../src/domain/plan/decision.js';
import { planJson } from '../../src/domain/plan/request.js';
import type { ClientRecord, Relationship } from '../../src/domain/core/model.js';
import { decideExtend } from '../../src/domain/client/lifecycle.js';
import type { Session } from '../../src/domain/core/session.js';
import type { Tx } from '../../src/domain/core/store.js';

const NOW = '2026-06-01T00:00:00.000Z';
const s = { clock: fixedClock(new Date(NOW)) } as unknown as Session;

function client(domain: string, id: string): ClientRecord {
  const rel: Relationship = {
    id,
    offerId: `offer-${id}`,
    displayName: `${domain} GDAP`,
    duration: 'P730D',
    autoExtendDuration: 'PT0S',
    roles: ['729827e3-9c14-49f7-bb1b-9608f156bbb8'],
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    activatedAt: '2026-01-02T00:00:00.000Z',
    endsAt: '2028-01-02T00:00:00.000Z',
    terminatedAt: null,
    clientDomain: domain,
    template: null,
  };
  return { domain, name: domain, tenantId: null, offerId: rel.offerId, acceptedAt: rel.activatedAt!, dap: null, gdap: [rel] };
}

describe('combine', () => {
  test("two clients' extend changes: unique ids, each If-Match refers to its own client's read", () => {
    const a = decideExtend(s, 'global', 'ada@fabrikam.com', client('contoso.com', 'rel-a'), true);
    const b = decideExtend(s, 'global', 'ada@fabrikam.com', client('tailspin.com', 'rel-b'), true);
    const both = combine([a, b], 'client');
    const plan = planJson(both.steps.flat());
    expect(plan.map((r) => [r.id, r.method, r.url.replace(/^.*delegatedAdminRelationships\//, '')])).toEqual([
      ['client1_relationship', 'GET', 'rel-a'],
      ['client1_extend', 'PATCH', 'rel-a'],
      ['client2_relationship', 'GET', 'rel-b'],
      ['client2_extend', 'PATCH', 'rel-b'],
    ]);
    expect(plan[1]!.headers!['If-Match']).toBe('${client1_relationship.@odata.etag}');
    expect(plan[3]!.headers!['If-Match']).toBe('${client2_relationship.@odata.etag}');
    expect(both.labels).toEqual(['contoso.com GDAP', 'tailspin.com GDAP']);
  });

  test('each change records from its own responses and failures, under its own ids', async () => {
    const seen: { responses: string[]; failures: string[] }[] = [];
    const item = (n: number): Change<number> => ({
      steps: [[{ id: 'make', method: 'POST', url: 'https://graph.microsoft.com/v1.0/groups' }]],
      apply: async () => n,
      record: async (_tx: Tx, responses: Responses, failures: readonly StepFailure[]) => {
        seen.push({ responses: [...responses.keys()], failures: failures.map((f) => f.id) });
        return responses.has('make') ? n : -n;
      },
    });
    const both = combine([item(1), item(2)]);
    const responses = new Map([['item1_make', { id: 'g1' }]]);
    const out = await both.record({} as Tx, responses, [{ id: 'item2_make', error: new Error('no') }]);
    expect(out).toEqual([1, -2]);
    expect(seen).toEqual([
      { responses: ['make'], failures: [] },
      { responses: [], failures: ['make'] },
    ]);
    expect(await both.apply({} as Tx)).toEqual([1, 2]);
  });
});
