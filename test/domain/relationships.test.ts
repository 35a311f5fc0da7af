/**
 * A client's status from its relationships, for each combination: DAP alone, granular alone,
 * both, in each order of ending; and which granular relationship the JSON features.
 */
import { allRelationships, clientStatus, clientSummary, featuredGdap, findGdap } from '../../src/domain/relationship/relationships.js';
import { CLIENT_STATUSES, RELATIONSHIP_STATUSES, type ClientRecord, type Relationship } from '../../src/domain/core/model.js';
import { NotFoundError } from '../../src/domain/core/errors.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (days: number) => new Date(T0 + days * DAY).toISOString();
const at = (days: number) => new Date(T0 + days * DAY);

function gdap(name: string, activatedDay: number, opts: { days?: number; terminatedDay?: number; auto?: boolean } = {}): Relationship {
  const days = opts.days ?? 30;
  return {
    id: `${name}-id`,
    offerId: `${name}-offer`,
    displayName: name,
    duration: `P${days}D`,
    autoExtendDuration: opts.auto ? 'P180D' : 'PT0S',
    roles: ['f2ef992c-3afb-46b9-b7cf-a126ee74c451'],
    status: opts.terminatedDay === undefined ? 'active' : 'terminated',
    createdAt: iso(0),
    activatedAt: iso(activatedDay),
    endsAt: iso(activatedDay + days),
    terminatedAt: opts.terminatedDay === undefined ? null : iso(opts.terminatedDay),
    clientDomain: 'contoso.com',
    template: null,
  };
}

function client(dap: { from: number; removed?: number } | null, rels: Relationship[]): ClientRecord {
  return {
    domain: 'contoso.com',
    name: 'Contoso',
    tenantId: null,
    offerId: 'x',
    acceptedAt: iso(0),
    dap: dap ? { offerId: 'dap-offer', acceptedAt: iso(dap.from), removedAt: dap.removed === undefined ? null : iso(dap.removed) } : null,
    gdap: rels,
  };
}

describe('client status', () => {
  test.each([
    ['DAP active', client({ from: 0 }, []), 'active', null],
    ['DAP removed', client({ from: 0, removed: 5 }, []), 'removed', iso(5)],
    ['granular active', client(null, [gdap('A', 0)]), 'active', null],
    ['granular expired', client(null, [gdap('A', 0, { days: 10 })]), 'expired', iso(10)],
    ['granular terminated', client(null, [gdap('A', 0, { terminatedDay: 3 })]), 'terminated', iso(3)],
    ['DAP active, granular expired', client({ from: 0 }, [gdap('A', 0, { days: 10 })]), 'active', null],
    ['DAP removed, granular active (the migration path)', client({ from: 0, removed: 12 }, [gdap('A', 10)]), 'active', null],
    ['DAP removed, then granular expired: the newest granular status', client({ from: 0, removed: 5 }, [gdap('A', 1, { days: 10 })]), 'expired', iso(11)],
    ['granular terminated, then DAP removed: removed', client({ from: 0, removed: 15 }, [gdap('A', 1, { terminatedDay: 12 })]), 'removed', iso(15)],
    ['granular expired as DAP is removed, the same instant: the granular status', client({ from: 0, removed: 11 }, [gdap('A', 1, { days: 10 })]), 'expired', iso(11)],
    ['two granular: the newest one decides', client(null, [gdap('A', 0, { days: 18 }), gdap('B', 5, { terminatedDay: 8 })]), 'terminated', iso(18)],
    ['two granular, one still active', client(null, [gdap('A', 0, { terminatedDay: 2 }), gdap('B', 5, { auto: true, days: 1 })]), 'active', null],
  ])('%s', (_name, c, status, removedAt) => {
    expect(clientSummary(c, at(19))).toEqual({ status, removedAt });
    expect(clientStatus(c, at(19))).toBe(status);
  });

  test('a granular relationship moves from active to expired at its end, to the millisecond', () => {
    const c = client(null, [gdap('A', 0, { days: 10 })]);
    expect(clientStatus(c, new Date(T0 + 10 * DAY - 1))).toBe('active');
    expect(clientStatus(c, at(10))).toBe('expired');
  });

  test('--status accepts active, removed and every Graph status, once each', () => {
    expect(CLIENT_STATUSES).toEqual(['active', 'removed', 'created', 'approvalPending', 'approved', 'activating', 'expiring', 'expired', 'terminationRequested', 'terminating', 'terminated']);
    expect(new Set(CLIENT_STATUSES).size).toBe(CLIENT_STATUSES.length);
    expect(RELATIONSHIP_STATUSES).toHaveLength(10);
  });
});

describe('which relationships', () => {
  test('granular JSON features the newest active relationship, else the newest one', () => {
    const older = gdap('Older', 0, { days: 100 });
    const newer = gdap('Newer', 5, { days: 3 });
    expect(featuredGdap(client(null, [older, newer]), at(6))!.displayName).toBe('Newer');
    expect(featuredGdap(client(null, [older, newer]), at(9))!.displayName).toBe('Older');
    expect(featuredGdap(client(null, [older, newer]), at(200))!.displayName).toBe('Newer');
    expect(featuredGdap(client({ from: 0 }, []), at(1))).toBeUndefined();
  });

  test('every relationship, DAP and granular, in the order accepted', () => {
    const c = client({ from: 3 }, [gdap('A', 1), gdap('B', 5)]);
    expect(allRelationships(c).map((r) => (r.kind === 'dap' ? 'dap' : r.rel.displayName))).toEqual(['A', 'dap', 'B']);
  });

  test('a relationship is found by display name (any case) or id; another is exit 3 naming the ones there are', () => {
    const c = client(null, [gdap('Helpdesk', 0)]);
    expect(findGdap(c, 'HELPDESK').id).toBe('Helpdesk-id');
    expect(findGdap(c, 'Helpdesk-id').displayName).toBe('Helpdesk');
    expect(() => findGdap(c, 'Other')).toThrow(NotFoundError);
    expect(() => findGdap(c, 'Other')).toThrow(/its relationships: "Helpdesk"/);
  });
});

describe("Graph's expiring (\"the relationship has passed its expiration date\")", () => {
  it('is no access: not among the active relationships acting uses, whatever its recorded end', async () => {
    const { activeGdap, usable } = await import('../../src/domain/relationship/relationships.js');
    const active = gdap('Active', 1);
    const expiring = { ...gdap('Expiring', 1), msStatus: 'expiring' };
    const c: ClientRecord = { domain: 'contoso.com', name: 'Contoso', tenantId: null, offerId: 'o', acceptedAt: iso(1), dap: null, gdap: [active, expiring] };
    expect(usable('expiring')).toBe(false);
    expect(usable('active')).toBe(true);
    expect(activeGdap(c, at(5)).map((r) => r.displayName)).toEqual(['Active']);
    // With only the expiring one, the client holds no active relationship.
    expect(clientStatus({ ...c, gdap: [expiring] }, at(5))).not.toBe('active');
  });
});
