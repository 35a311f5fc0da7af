/**
 * The plan format (SPEC.md "Acting for a client", `--plan`): every builder's
 * plan, for both clouds, is executable as printed.
 */
import { addDomain, getUser, planAddUsers, planVerifyDomain, resetPassword, listDomains, listUsers } from '../../src/domain/plan/directory-requests.js';
import { escapeText, mailNickname, planJson, ref, substitute, tpl, type PlannedRequest } from '../../src/domain/plan/request.js';
import { planAccessChanges, planAddMembers, createSecurityGroup } from '../../src/domain/plan/group-requests.js';
import { planExtend, planRemoveDap, planTerminate, createAccessAssignment } from '../../src/domain/plan/relationship-requests.js';
import type { Cloud } from '../../src/domain/core/model.js';
import { checkPlan, references } from '../helpers/plan.js';
import { planCreateRelationships } from '../helpers/shortcuts.js';

const OID = '11111111-2222-4333-8444-555555555555';
const OID2 = '21111111-2222-4333-8444-555555555555';
const TENANT = '31111111-2222-4333-8444-555555555555';
const REL = '5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836';
const REL2 = '6d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836';
const GA = '62e90394-69f5-4237-9190-012177145e10';

const printed = (requests: PlannedRequest[], cloud: Cloud) => checkPlan(JSON.stringify(planJson(requests)), cloud);

function everyPlan(cloud: Cloud): Record<string, PlannedRequest[]> {
  const access = planAccessChanges(
    cloud,
    [
      { email: 'a@fabrikam.com', from: 'none', to: 'full' },
      { email: 'b@fabrikam.com', from: 'full', to: 'limited' },
      { email: 'c@fabrikam.com', from: 'limited', to: 'none' },
      { email: 'd@fabrikam.com', from: 'full', to: 'full' },
    ],
    { adminAgentsGroupId: OID, helpdeskAgentsGroupId: OID2 },
  );
  if (!('requests' in access)) throw new Error('expected requests');
  return {
    'client user add': planAddUsers(cloud, [
      { upn: 'megan@contoso.com', name: 'Megan', isAdmin: false, password: 'Aa1!aaaaaaaaaaaa' },
      { upn: 'boss@contoso.com', name: 'Boss', isAdmin: true, password: 'Bb2${x.y}bbbbbbb' },
    ]),
    'client user add --admin': planAddUsers(cloud, [{ upn: 'boss@contoso.com', name: 'Boss', isAdmin: true, password: 'Cc3#cccccccccccc' }]),
    'reset-password': [resetPassword(cloud, 'reset', 'alex@contoso.com', 'Dd4%dddddddddddd')],
    'domain add': [addDomain(cloud, 'domain', 'contoso.org')],
    'domain verify': planVerifyDomain(cloud, 'contoso.org'),
    'user list': [listUsers(cloud)],
    'domain list': [listDomains(cloud)],
    'grant/revoke': access.requests,
    'client remove (tenant known)': planRemoveDap(cloud, 'contoso.com', TENANT),
    'client remove (tenant unknown)': planRemoveDap(cloud, 'contoso.com', null),
    'offer create --granular': planCreateRelationships(cloud, [
      { displayName: 'A', duration: 'P730D', autoExtendDuration: 'PT0S', roles: [GA] },
      { displayName: 'B', duration: 'P730D', autoExtendDuration: 'PT0S', roles: [GA] },
    ]),
    'client extend': planExtend(cloud, [REL], 'P180D'),
    'client extend (several relationships)': planExtend(cloud, [REL, REL2], 'P180D'),
    'client terminate': planTerminate(cloud, [REL]),
    'client terminate (several relationships)': planTerminate(cloud, [REL, REL2]),
    'group create': [createSecurityGroup(cloud, 'group', 'Helpdesk', 'dlg-6c3a2f0e-1b2d-4e5f-8a9b-0c1d2e3f4a5b')],
    'group add-member': planAddMembers(cloud, OID, ['a@fabrikam.com', 'b@fabrikam.com']),
    'client assign': [createAccessAssignment(cloud, 'assignment', REL, OID, [GA])],
  };
}

describe.each(['global', 'china'] as const)('every plan on the %s cloud', (cloud) => {
  for (const [name, requests] of Object.entries(everyPlan(cloud))) {
    test(`${name}: ids unique, references to earlier requests, headers, hosts, no prose`, () => {
      const plan = printed(requests, cloud);
      expect(plan.length).toBeGreaterThan(0);
    });
  }
});

describe('references', () => {
  test('an admin user: the role assignment names ${user.id} from the POST /users before it', () => {
    const plan = printed(planAddUsers('global', [{ upn: 'boss@contoso.com', name: 'Boss', isAdmin: true, password: 'x' }]), 'global');
    expect(plan.map((r) => r.id)).toEqual(['user', 'role']);
    expect(plan[1]!.body).toEqual({ '@odata.type': '#microsoft.graph.unifiedRoleAssignment', roleDefinitionId: GA, principalId: '${user.id}', directoryScopeId: '/' });
  });

  test('several users: numbered ids, each role assignment naming its own user', () => {
    const plan = printed(
      planAddUsers('global', [
        { upn: 'a@contoso.com', name: 'A', isAdmin: true, password: 'x' },
        { upn: 'b@contoso.com', name: 'B', isAdmin: false, password: 'x' },
        { upn: 'c@contoso.com', name: 'C', isAdmin: true, password: 'x' },
      ]),
      'global',
    );
    expect(plan.map((r) => r.id)).toEqual(['user-1', 'role-1', 'user-2', 'user-3', 'role-3']);
    expect((plan[4]!.body as { principalId: string }).principalId).toBe('${user-3.id}');
  });

  test('the field is taken whole after the first dot: ${relationship.@odata.etag}', () => {
    const [get, patch] = printed(planExtend('global', [REL], 'PT0S'), 'global');
    expect(get!.id).toBe('relationship');
    expect(patch!.headers!['If-Match']).toBe('${relationship.@odata.etag}');
    expect(references(patch!.headers!['If-Match']!)).toEqual([{ id: 'relationship', field: '@odata.etag' }]);
    const etag = 'W/"JyIxODAwZTY4My0wMDAwLTAyMDAtMDAwMC02MTU0OWFmMDAwMDAiJw=="';
    expect(substitute(patch!.headers!['If-Match']!, new Map([['relationship', { '@odata.etag': etag }]]))).toBe(etag);
  });

  test('a literal ${ in data is written $${ and reads back as itself', () => {
    const password = 'Bb2${x.y}b$${b}$';
    const [req] = printed([resetPassword('global', 'reset', 'a@contoso.com', password)], 'global');
    const written = (req!.body as { passwordProfile: { password: string } }).passwordProfile.password;
    expect(written).toBe('Bb2$${x.y}b$$${b}$');
    expect(references(written)).toEqual([]);
    expect(substitute(written, new Map())).toBe(password);
    expect(escapeText('no dollar')).toBe('no dollar');
  });

  test('executed with responses, every reference resolves', () => {
    const plan = printed(planRemoveDap('china', 'contoso.cn', null), 'china');
    expect(plan.map((r) => [r.id, r.method])).toEqual([
      ['tenant', 'GET'],
      ['customer', 'PATCH'],
    ]);
    const responses = new Map([['tenant', { tenantId: TENANT, displayName: 'Contoso' }]]);
    expect(substitute(plan[1]!.url, responses)).toBe(`https://partner.partnercenterapi.microsoftonline.cn/v1/customers/${TENANT}`);
    expect(() => substitute(plan[1]!.url, new Map())).toThrow(/tenantId/);
    expect(plan[1]!.body).toEqual({ AllowDelegatedAccess: false, attributes: { objectType: 'Customer' } });
  });

  test('the serializer refuses what would not execute: unknown or later references, repeated or dotted ids, a $ before a reference', () => {
    expect(() => planJson([getUser('global', 'a', 'x@y.com'), { id: 'b', method: 'GET', url: tpl`https://graph.microsoft.com/v1.0/users/${ref('c', 'id')}` }])).toThrow(/not an earlier request/);
    expect(() => planJson([{ id: 'b', method: 'GET', url: tpl`https://graph.microsoft.com/v1.0/users/${ref('b', 'id')}` }])).toThrow(/not an earlier request/);
    expect(() => planJson([getUser('global', 'a', 'x@y.com'), getUser('global', 'a', 'z@y.com')])).toThrow(/repeated/);
    expect(() => planJson([getUser('global', 'a.b', 'x@y.com')])).toThrow(/bad/);
    expect(() => planJson([getUser('global', 'a', 'x@y.com'), { id: 'b', method: 'GET', url: tpl`https://x/$${ref('a', 'id')}` }])).toThrow(/literal \$/);
  });
});

describe('DAP grant and revoke as agent group membership', () => {
  const groups = { adminAgentsGroupId: OID, helpdeskAgentsGroupId: OID2 };
  const G = 'https://graph.microsoft.com/v1.0';

  test('none -> full joins AdminAgents; full -> limited leaves it and joins HelpdeskAgents; limited -> none leaves HelpdeskAgents; unchanged: nothing', () => {
    const r = planAccessChanges(
      'global',
      [
        { email: 'a@fabrikam.com', from: 'none', to: 'full' },
        { email: 'b@fabrikam.com', from: 'full', to: 'limited' },
        { email: 'c@fabrikam.com', from: 'limited', to: 'none' },
        { email: 'd@fabrikam.com', from: 'limited', to: 'limited' },
      ],
      groups,
    );
    if (!('requests' in r)) throw new Error('expected a plan');
    const plan = printed(r.requests, 'global');
    expect(plan.map((x) => `${x.id} ${x.method} ${x.url}`)).toEqual([
      `user-1 GET ${G}/users/a%40fabrikam.com?$select=id,userPrincipalName`,
      `join-1 POST ${G}/groups/${OID}/members/$ref`,
      `user-2 GET ${G}/users/b%40fabrikam.com?$select=id,userPrincipalName`,
      `leave-2 DELETE ${G}/groups/${OID}/members/\${user-2.id}/$ref`,
      `join-2 POST ${G}/groups/${OID2}/members/$ref`,
      `user-3 GET ${G}/users/c%40fabrikam.com?$select=id,userPrincipalName`,
      `leave-3 DELETE ${G}/groups/${OID2}/members/\${user-3.id}/$ref`,
    ]);
    expect(plan[1]!.body).toEqual({ '@odata.id': `${G}/directoryObjects/\${user-1.id}` });
  });

  test('a group it needs with no known id: named, instead of a plan; a group it does not need may be unknown', () => {
    expect(planAccessChanges('global', [{ email: 'a@f.com', from: 'none', to: 'limited' }], { adminAgentsGroupId: OID, helpdeskAgentsGroupId: null })).toEqual({ missing: ['HelpdeskAgents'] });
    expect(planAccessChanges('global', [{ email: 'a@f.com', from: 'limited', to: 'full' }], { adminAgentsGroupId: null, helpdeskAgentsGroupId: null })).toEqual({
      missing: ['HelpdeskAgents', 'AdminAgents'],
    });
    expect('requests' in planAccessChanges('global', [{ email: 'a@f.com', from: 'none', to: 'full' }], { adminAgentsGroupId: OID, helpdeskAgentsGroupId: null })).toBe(true);
    expect(planAccessChanges('global', [{ email: 'a@f.com', from: 'full', to: 'full' }], { adminAgentsGroupId: null, helpdeskAgentsGroupId: null })).toEqual({ requests: [] });
  });
});

test('mailNickname keeps what Graph accepts, at most 64 characters', () => {
  expect(mailNickname('Help desk (tier 1)')).toBe('Helpdesktier1');
  expect(mailNickname('a@b.c;d:e<f>g,h[i]j"k\\l')).toBe('abcdefghijkl');
  expect(mailNickname('é ü')).toBe('group');
  expect(mailNickname('x'.repeat(100))).toHaveLength(64);
});
