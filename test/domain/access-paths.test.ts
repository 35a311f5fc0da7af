/**
 * The path model of `access why` and `access show` (src/domain/access), pure: memberships that are
 * eligible (PIM for Groups) hold nothing until activated; an activated one holds until its end.
 */
import { describe, expect, test } from '@jest/globals';
import { paths, type Facts } from '../../src/domain/access/paths.js';
import { matrixRows } from '../../src/domain/access/matrix.js';
import type { ClientRecord, Relationship } from '../../src/domain/core/model.js';
import type { Membership } from '../../src/domain/core/access-store.js';

const NOW = new Date('2026-03-01T09:00:00.000Z');
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const rel: Relationship = {
  id: 'rel-1', offerId: 'offer-1', displayName: 'Wingtip', duration: 'P730D', autoExtendDuration: 'PT0S', roles: [HA], status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z', activatedAt: '2026-01-01T00:00:00.000Z', endsAt: '2027-01-01T00:00:00.000Z', terminatedAt: null, clientDomain: 'wingtip.com', template: null,
};
const client: ClientRecord = { domain: 'wingtip.com', name: 'Wingtip', tenantId: null, offerId: 'offer-1', acceptedAt: rel.createdAt, dap: null, gdap: [rel] };
const membership = (kind: Membership['kind'], activeUntil: string | null = null): Membership => ({ group: 'Helpdesk', email: 'lee@fabrikam.com', kind, activeUntil });
const facts = (m: Membership): Facts => ({
  user: { email: 'lee@fabrikam.com', adminAccess: 'none' },
  client,
  memberships: [m],
  assignments: [{ relationshipId: 'rel-1', group: 'Helpdesk', roles: [HA], createdAt: rel.createdAt, status: 'active' }],
  assignmentsReadAt: new Map([['rel-1', '2026-02-28T00:00:00.000Z']]),
  dapReadAt: null,
  now: NOW,
});

describe('memberships: direct | eligible | activated', () => {
  test('eligible alone is a broken link whose fix is access activate', () => {
    const [p] = paths(facts(membership('eligible')), 'list');
    expect(p!.holds).toBe(false);
    expect(p!.links).toEqual([
      { link: 'member of Helpdesk', state: 'eligible; holds nothing until lee@fabrikam.com activates it', holds: false, source: 'ledger', readAt: NOW.toISOString(), fix: 'delegate access activate Helpdesk --reason "<why>"' },
    ]);
  });

  test('activated holds, and says until when; the assignment read from Microsoft says so', () => {
    const [p] = paths(facts(membership('activated', '2026-03-01T17:00:00.000Z')), 'reset-password');
    expect(p!.holds).toBe(true);
    expect(p!.links[0]!.state).toBe('activated until 2026-03-01T17:00:00.000Z');
    expect(p!.links[2]).toMatchObject({ link: 'assignment active', state: 'active', source: 'microsoft', readAt: '2026-02-28T00:00:00.000Z' });
  });

  test('the matrix lists an eligible membership as such, and an activated one with its end', () => {
    const f = facts(membership('eligible'));
    const reads = { assignments: [...f.assignments], assignmentsReadAt: new Map(f.assignmentsReadAt), dapReadAt: new Map() };
    const members = (m: Membership) => new Map([['helpdesk', [m]]]);
    expect(matrixRows([client], reads, { members: members(membership('eligible')), agents: [], now: NOW })).toEqual([expect.objectContaining({ membership: 'eligible', activeUntil: undefined })]);
    expect(matrixRows([client], reads, { members: members(membership('activated', '2026-03-01T17:00:00.000Z')), agents: [], now: NOW })).toMatchObject([
      { membership: 'activated', activeUntil: '2026-03-01T17:00:00.000Z', readAt: '2026-02-28T00:00:00.000Z' },
    ]);
  });
});
