/** PIM for Groups' pure rules (src/domain/core/pim.ts): what counts as membership, durations, the group's policy. */
import { describe, expect, test } from '@jest/globals';
import { activationPolicy, durationMs, isActivated, isoTime } from '../../src/domain/core/pim.js';

const NOW = new Date('2026-03-01T09:00:00.000Z');

describe('an eligibility counts as membership only while activated', () => {
  test.each([
    ['active, not yet over', { activation: 'active', activeUntil: '2026-03-01T10:00:00.000Z', eligibleUntil: '2026-04-01T00:00:00.000Z' }, true],
    ['eligible only', { activation: null, activeUntil: null, eligibleUntil: '2026-04-01T00:00:00.000Z' }, false],
    ['waiting for approval', { activation: 'pendingApproval', activeUntil: '2026-03-01T10:00:00.000Z', eligibleUntil: '2026-04-01T00:00:00.000Z' }, false],
    ['activation over', { activation: 'active', activeUntil: '2026-03-01T09:00:00.000Z', eligibleUntil: '2026-04-01T00:00:00.000Z' }, false],
    ['eligibility over', { activation: 'active', activeUntil: '2026-03-01T10:00:00.000Z', eligibleUntil: '2026-03-01T08:00:00.000Z' }, false],
  ] as const)('%s', (_name, e, counts) => {
    expect(isActivated(e, NOW)).toBe(counts);
  });
});

test('durations: PT5M, PT1H30M, P1DT2H; not P, PT, PT1X; printed back', () => {
  expect(durationMs('PT5M')).toBe(300_000);
  expect(durationMs('pt1h30m')).toBe(5_400_000);
  expect(durationMs('P1DT2H')).toBe(26 * 3_600_000);
  for (const bad of ['P', 'PT', 'PT1X', '5M', '']) expect(durationMs(bad)).toBeUndefined();
  expect([isoTime(300_000), isoTime(5_400_000), isoTime(8 * 3_600_000)]).toEqual(['PT5M', 'PT1H30M', 'PT8H']);
});

test("the group's policy: the EndUser Assignment rules (maximum, approval, MFA, ticket), other rules ignored; no policy is undefined", () => {
  const target = (caller: string, level: string) => ({ caller, level });
  const body = {
    value: [
      {
        id: 'a',
        policy: {
          id: 'p',
          rules: [
            { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule', id: 'Expiration_Admin_Eligibility', maximumDuration: 'P365D', target: target('Admin', 'Eligibility') },
            { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule', id: 'Expiration_EndUser_Assignment', maximumDuration: 'PT2H', target: target('EndUser', 'Assignment') },
            { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule', id: 'Approval_EndUser_Assignment', setting: { isApprovalRequired: true }, target: target('EndUser', 'Assignment') },
            { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule', id: 'Enablement_EndUser_Assignment', enabledRules: ['MultiFactorAuthentication', 'Justification'], target: target('EndUser', 'Assignment') },
            { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule', id: 'Enablement_Admin_Assignment', enabledRules: ['Ticketing'], target: target('Admin', 'Assignment') },
          ],
        },
      },
    ],
  };
  expect(activationPolicy(body)).toEqual({ maxMs: 2 * 3_600_000, approval: true, mfa: true, ticket: false, justification: true });
  expect(activationPolicy({ value: [] })).toBeUndefined();
});
