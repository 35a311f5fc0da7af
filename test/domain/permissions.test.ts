/**
 * The acting rule as a pure function (src/domain/permissions.ts), every row of
 * SPEC.md's "Acting for a client" table, including the rows whose commands do
 * not exist yet (removing users and domains); the role catalogue; and the
 * initial-domain allocation.
 */
import { allocateInitialDomain } from '../../src/domain/client/initial-domains.js';
import { isInitialDomainName } from '../../src/domain/core/validate.js';
import { CLIENT_ACTIONS, allowedBy, decide, heldWords, ruleFor, type ClientAction, type Holding } from '../../src/domain/acting/permissions.js';
import { ROLES, parseRole, parseRoles } from '../../src/domain/relationship/roles.js';

const GA = '62e90394-69f5-4237-9190-012177145e10';
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const PA = '966707d0-3269-4727-9be2-8c3a10f19b9d';
const UA = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const PAA = '7be44c8a-adaf-4e2a-84d6-ab2649e08a13';
const PRA = 'e8611ab8-c189-46e8-94e1-60213ab1f814';
const DNA = '8329153b-31d0-4727-b945-745eb3bc5f31';
const AUTHA = 'c4e39bd9-1100-46d3-8c65-fb160da0071f';
const GR = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';

// SPEC.md's table: row -> [action, target is admin, DAP full, DAP limited, GDAP sets ('any': any role)].
const TABLE: [string, ClientAction, boolean, boolean, boolean, 'any' | string[][]][] = [
  ['list users, domains', 'list', false, true, true, 'any'],
  ['add a non-admin user', 'add-user', false, true, false, [[UA], [GA]]],
  ['add an admin user', 'add-user', true, true, false, [[GA], [PRA, UA]]],
  ["reset a non-admin's password", 'reset-password', false, true, true, [[HA], [PA], [UA], [AUTHA], [PAA], [GA]]],
  ["reset an admin's password", 'reset-password', true, true, false, [[PAA], [GA]]],
  ['add a domain', 'add-domain', false, true, false, [[DNA], [GA]]],
  ['verify a domain', 'verify-domain', false, true, false, [[DNA], [GA]]],
  ['remove a non-admin user', 'remove-user', false, true, false, [[UA], [GA]]],
  ['remove an admin user', 'remove-user', true, true, false, [[PAA], [GA]]],
  ['remove a domain', 'remove-domain', false, true, false, [[DNA], [GA]]],
];
const LISTED = [GA, UA, PRA, HA, PA, AUTHA, PAA, DNA];

const holders: [string, Holding][] = [
  ['DAP full', { dap: 'full', roles: new Set() }],
  ['DAP limited', { dap: 'limited', roles: new Set() }],
  ['DAP none', { dap: 'none', roles: new Set() }],
  ['nothing', { roles: new Set() }],
  ...LISTED.map((r): [string, Holding] => [`GDAP ${ROLES.find((x) => x.id === r)!.name} alone`, { roles: new Set([r]) }]),
  ['GDAP Global Reader alone (not listed)', { roles: new Set([GR]) }],
  ['GDAP Privileged Role Administrator with User Administrator', { roles: new Set([PRA, UA]) }],
  ['DAP limited with GDAP Domain Name Administrator', { dap: 'limited', roles: new Set([DNA]) }],
  ['DAP none with GDAP Privileged Authentication Administrator', { dap: 'none', roles: new Set([PAA]) }],
];

function want(h: Holding, full: boolean, limited: boolean, gdap: 'any' | string[][]): boolean {
  const byDap = h.dap === 'full' ? full : h.dap === 'limited' ? limited : false;
  const byGdap = gdap === 'any' ? h.roles.size > 0 : gdap.some((set) => set.every((r) => h.roles.has(r)));
  return byDap || byGdap;
}

const cases = TABLE.flatMap(([row, action, admin, full, limited, gdap]) =>
  holders.map(([who, h]) => ({ row, who, action, admin, h, allowed: want(h, full, limited, gdap) })),
);

describe('decide(): every row of the table for every holding', () => {
  test.each(cases)('$row, $who -> $allowed', ({ action, admin, h, allowed }) => {
    const d = decide(h, action, admin);
    expect(d.allowed).toBe(allowed);
    if (!d.allowed) expect(d.rule).toBe(ruleFor(action, admin));
  });

  test("the issue's three findings", () => {
    expect(decide({ roles: new Set([UA]) }, 'add-user', true).allowed).toBe(false);
    expect(decide({ roles: new Set([PAA]) }, 'reset-password', true).allowed).toBe(true);
    expect(decide({ roles: new Set([DNA]) }, 'add-domain', false).allowed).toBe(true);
  });

  test('a role held but not listed for a row allows nothing but reading', () => {
    const h = { roles: new Set([GR]) };
    for (const action of CLIENT_ACTIONS) for (const admin of [false, true]) expect(decide(h, action, admin).allowed).toBe(action === 'list');
  });
});

describe('each rule names who it allows, with a Microsoft source', () => {
  test.each(TABLE)('%s', (_row, action, admin) => {
    const rule = ruleFor(action, admin);
    expect(rule.sources.length).toBeGreaterThan(0);
    for (const src of rule.sources) expect(src).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    expect(allowedBy(rule)).toMatch(/^DAP full admin access \(admin agent\)/);
    expect(allowedBy(rule)).not.toMatch(/[\r\n]/);
  });

  test('the words', () => {
    expect(allowedBy(ruleFor('add-user', true))).toBe(
      'DAP full admin access (admin agent), or through a security group on a granular relationship: Global Administrator, or Privileged Role Administrator together with User Administrator',
    );
    expect(allowedBy(ruleFor('reset-password', false))).toMatch(/^DAP full admin access \(admin agent\) or limited admin access \(helpdesk agent\), /);
    expect(heldWords({ dap: 'limited', roles: new Set([DNA]) })).toBe('DAP limited admin access (helpdesk agent) and GDAP roles Domain Name Administrator');
    expect(heldWords({ roles: new Set() })).toBe('no GDAP roles');
  });
});

describe('the role catalogue (Microsoft Entra built-in roles)', () => {
  test('about a hundred roles, every id a GUID, ids and names unique', () => {
    expect(ROLES.length).toBeGreaterThanOrEqual(100);
    for (const r of ROLES) expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(ROLES.map((r) => r.id)).size).toBe(ROLES.length);
    expect(new Set(ROLES.map((r) => r.name.toLowerCase())).size).toBe(ROLES.length);
    for (const r of ROLES) expect(r.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9 ]*[a-z0-9]$/);
  });

  test.each([
    ['Global Administrator', '62e90394-69f5-4237-9190-012177145e10'],
    ['Helpdesk Administrator', '729827e3-9c14-49f7-bb1b-9608f156bbb8'],
    ['Password Administrator', '966707d0-3269-4727-9be2-8c3a10f19b9d'],
    ['User Administrator', 'fe930be7-5e62-47db-91af-98c3a49a38b1'],
    ['Privileged Authentication Administrator', '7be44c8a-adaf-4e2a-84d6-ab2649e08a13'],
    ['Privileged Role Administrator', 'e8611ab8-c189-46e8-94e1-60213ab1f814'],
    ['Domain Name Administrator', '8329153b-31d0-4727-b945-745eb3bc5f31'],
    ['Authentication Policy Administrator', '0526716b-113d-4c15-b2c8-68e3c22b9f80'],
    ['Cloud App Security Administrator', '892c5842-a9a6-463a-8041-72aa08ca3cf6'],
  ])('SPEC.md: %s is %s', (name, id) => {
    expect(ROLES.filter((r) => r.name === name)).toEqual([{ id, name }]);
    expect(parseRole(name.toUpperCase())).toEqual({ id, name });
    expect(parseRole(id.toUpperCase())).toEqual({ id, name });
  });

  test('roles outside the old 29 resolve too; an unknown one is exit 2', () => {
    expect(parseRoles('Domain Name Administrator, authentication policy administrator')).toEqual([
      '0526716b-113d-4c15-b2c8-68e3c22b9f80',
      '8329153b-31d0-4727-b945-745eb3bc5f31',
    ]);
    expect(() => parseRole('Company Administrator')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('initial domains', () => {
  const takenSet = (names: string[]) => async (n: string) => names.includes(n);

  test('<label>.onmicrosoft.com, then <label>1, <label>2, ... when taken', async () => {
    expect(await allocateInitialDomain(takenSet([]), 'global', 'contoso.com')).toBe('contoso.onmicrosoft.com');
    expect(await allocateInitialDomain(takenSet(['contoso.onmicrosoft.com']), 'global', 'contoso.org')).toBe('contoso1.onmicrosoft.com');
    expect(await allocateInitialDomain(takenSet(['contoso.onmicrosoft.com', 'contoso1.onmicrosoft.com']), 'global', 'contoso.net')).toBe('contoso2.onmicrosoft.com');
    expect(await allocateInitialDomain(takenSet(['contoso.onmicrosoft.com', 'contoso1.onmicrosoft.com']), 'global', 'contoso1.com')).toBe('contoso11.onmicrosoft.com');
  });

  test('21Vianet: <label>.partner.onmschina.cn', async () => {
    expect(await allocateInitialDomain(takenSet([]), 'china', 'contoso.cn')).toBe('contoso.partner.onmschina.cn');
    expect(await allocateInitialDomain(takenSet(['contoso.partner.onmschina.cn']), 'china', 'contoso.com.cn')).toBe('contoso1.partner.onmschina.cn');
  });

  test.each([
    ['contoso.onmicrosoft.com', true],
    ['contoso.partner.onmschina.cn', true],
    ['onmicrosoft.com.example.com', false],
    ['contoso.com', false],
  ])('%s is an initial domain name: %s', (name, yes) => expect(isInitialDomainName(name)).toBe(yes));
});
