/**
 * The seed's whole process (seed/000_81ca771d913a2417.txt) through the built
 * CLI, as a partner admin's script would drive it: piped (no terminal), once
 * reading the default plain output and once reading --json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MPN, partnerCenterLink, pcId } from '../helpers/links.js';
import { ADMIN, runBin, runInProcess, sandbox, TENANT, type Result, type Sandbox } from '../helpers/cli.js';
import { PG_MODE } from '../helpers/pg-e2e.js';

const GRACE = 'grace@fabrikam.com';
const BOB = 'bob@fabrikam.com';
const ADMIN_URL = `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`;
const CHINA_URL = `https://portal.partner.microsoftonline.cn/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`;
const HINT_FEW = 'Build your business > delegate admin offer';
const HINT_MANY = 'Partner overview > Send delegated administration offers';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ANSI = /\u001b\[/;

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(() => sb.cleanup());

/** Run the CLI; a non-zero exit fails the test with what the CLI said. */
async function ok(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Result> {
  const r = await runBin(args, opts.env ?? sb.env, opts.stdin);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Steps that only set the scene (not what a test checks) run in-process: no spawn. */
async function setup(args: string[]): Promise<string> {
  const r = await runInProcess(['--db', sb.db, ...args]);
  if (r.code !== 0) throw new Error(`setup ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const initFabrikam = (extra: string[] = []) => setup(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified', ...extra]);

const run = (args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) => runBin(args, opts.env ?? sb.env, opts.stdin);

/** Plain output: one record a line, tab-separated, no header. */
function rows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

const json = (r: Result) => JSON.parse(r.stdout);

function offerIdOf(url: string): string {
  const id = new URL(url).searchParams.get('id');
  if (!id) throw new Error(`no offer id in ${url}`);
  return id;
}

/** The only https link in an offer's text. */
function linkIn(text: string): string {
  const links = text.match(/https:\/\/\S+/g) ?? [];
  expect(links.length).toBeGreaterThan(0);
  expect(new Set(links).size).toBe(1);
  return links[0]!;
}

describe.each(['text', 'json'] as const)('the seed process, %s output', (mode) => {
  const J = mode === 'json' ? ['--json'] : [];

  test('certify, grant admin access, create offers, record acceptances, read the inbox', async () => {
    // --- init an uncertified partner: offers are refused and the fix is named
    const init = await ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, ...J]);
    if (mode === 'json') {
      const p = json(init);
      expect(p).toMatchObject({ name: 'Fabrikam IT', tenantId: TENANT, cloud: 'global', certified: false });
      expect(p.createdAt).toMatch(ISO);
      expect(p.admin).toEqual({ email: ADMIN, name: expect.any(String), orgRole: 'global-admin', adminAccess: 'full', canCreateOffers: true, ...(PG_MODE ? { dbLogin: expect.any(String) } : {}) });
    } else {
      expect(rows(init.stdout)[0]!.slice(0, 4)).toEqual(['Fabrikam IT', TENANT, 'global', 'false']);
    }

    const refused = await run(['offer', 'create', ...J]);
    expect(refused.code).toBe(4);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('partner set --certified');
    if (mode === 'json') expect(JSON.parse(refused.stderr).error.message).toContain('partner set --certified');

    const certified = await ok(['partner', 'set', '--certified', ...J]);
    if (mode === 'json') expect(json(certified)).toMatchObject({ name: 'Fabrikam IT', certified: true });
    else expect(rows(certified.stdout)[0]![3]).toBe('true');

    // --- partner users, and the seed's "click Yes": full and limited admin access
    const [added] = await Promise.all([ok(['user', 'add', GRACE, '--name', 'Grace Hopper', ...J]), ok(['user', 'add', BOB, ...J])]);
    if (mode === 'json') {
      expect(json(added)).toEqual({ email: GRACE, name: 'Grace Hopper', orgRole: 'user', adminAccess: 'none', canCreateOffers: false, ...(PG_MODE ? { dbLogin: null } : {}) });
    } else {
      expect(rows(added.stdout)).toEqual([[GRACE, 'Grace Hopper', 'user', 'none', 'false', ...(PG_MODE ? [''] : [])]]);
    }

    const [full, limited] = await Promise.all([
      ok(['user', 'grant-admin', GRACE, '--role', 'full', ...J]),
      ok(['user', 'grant-admin', BOB, '--role', 'limited', ...J]),
    ]);
    if (mode === 'json') {
      expect(json(full)).toEqual([expect.objectContaining({ email: GRACE, adminAccess: 'full', canCreateOffers: true })]);
      expect(json(limited)).toEqual([expect.objectContaining({ email: BOB, adminAccess: 'limited', canCreateOffers: true })]);
    }
    const users = await ok(['user', 'list', ...J]);
    const byEmail =
      mode === 'json'
        ? Object.fromEntries((json(users) as { email: string; adminAccess: string; canCreateOffers: boolean }[]).map((u) => [u.email, [u.adminAccess, u.canCreateOffers]]))
        : Object.fromEntries(rows(users.stdout).map((r) => [r[0], [r[3], r[4] === 'true']]));
    expect(byEmail).toEqual({ [ADMIN]: ['full', true], [GRACE]: ['full', true], [BOB]: ['limited', true] });
    const onlyLimited = await ok(['user', 'list', '--access', 'limited', ...J]);
    if (mode === 'json') expect((json(onlyLimited) as { email: string }[]).map((u) => u.email)).toEqual([BOB]);
    else expect(rows(onlyLimited.stdout).map((r) => r[0])).toEqual([BOB]);

    // --- a plain offer created by a user with full access, then one by a user with limited access
    const created = await ok(['offer', 'create', '--as', GRACE, ...J]);
    const second = await ok(['offer', 'create', '--as', BOB, ...J]);
    expect(created.stderr).toContain(HINT_FEW);
    let plain1: string;
    let plain2: string;
    if (mode === 'json') {
      const o = json(created);
      expect(o).toMatchObject({ url: ADMIN_URL, status: 'active', createdBy: GRACE, acceptedCount: 0 });
      expect(o.createdAt).toMatch(ISO);
      expect(o.trial).toBeUndefined();
      expect(o.purchase).toBeUndefined();
      expect(o.text).toContain('Fabrikam IT');
      expect(o.text).toContain(ADMIN_URL);
      plain1 = o.id;
      plain2 = json(second).id;
      expect(json(second).createdBy).toBe(BOB);
    } else {
      expect(created.stdout).toContain('Fabrikam IT');
      expect(linkIn(created.stdout)).toBe(ADMIN_URL);
      const listed = rows((await ok(['offer', 'list'])).stdout);
      expect(listed.map((o) => [o[1], o[5]])).toEqual([
        ['active', GRACE],
        ['active', BOB],
      ]);
      plain1 = listed[0]![0]!;
      plain2 = listed[1]![0]!;
    }
    expect(plain2).not.toBe(plain1);

    // --- offer link: the same invitation URL for every plain offer
    const ids = [undefined, plain1, plain2];
    const links = await Promise.all(ids.map((id) => ok(['offer', 'link', ...(id ? [id] : []), ...J])));
    links.forEach((link, i) => {
      if (mode === 'json') expect(json(link)).toMatchObject({ id: ids[i] ?? plain2, url: ADMIN_URL });
      else expect(link.stdout).toBe(ADMIN_URL + '\n');
    });

    // --- clients accept: by the link (counts against the latest active plain offer) and by offer id
    const byLink = await ok(['client', 'accept', ADMIN_URL, '--domain', 'contoso.com', '--name', 'Contoso Ltd', ...J]);
    await ok(['client', 'accept', ADMIN_URL, '--domain', 'tailspintoys.com', ...J]);
    const byId = await ok(['client', 'accept', plain1, '--domain', 'northwind.com', '--name', 'Northwind Traders', '--tenant-id', '72f988bf-86f1-41af-91ab-2d7cd011db47', ...J]);
    if (mode === 'json') {
      expect(json(byLink)).toMatchObject({ domain: 'contoso.com', name: 'Contoso Ltd', tenantId: null, status: 'active', offerId: plain2, removedAt: null });
      expect(json(byLink).acceptedAt).toMatch(ISO);
      expect(json(byId)).toMatchObject({ domain: 'northwind.com', name: 'Northwind Traders', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', status: 'active', offerId: plain1 });
    } else {
      expect(rows(byLink.stdout)[0]!.slice(0, 5)).toEqual(['contoso.com', 'Contoso Ltd', '', 'active', plain2]);
      expect(rows(byId.stdout)[0]!.slice(0, 5)).toEqual(['northwind.com', 'Northwind Traders', '72f988bf-86f1-41af-91ab-2d7cd011db47', 'active', plain1]);
    }

    // --- the partner's Partner ID, which Partner Center puts in trial and purchase links as msppid
    const mpn = await ok(['partner', 'set', '--mpn-id', String(MPN), ...J]);
    if (mode === 'json') expect(json(mpn)).toMatchObject({ name: 'Fabrikam IT', mpnId: MPN });
    else expect(rows(mpn.stdout)[0]![4]).toBe(String(MPN));

    // --- an offer included with a trial invitation: the link is the one Partner Center made
    const TRIAL_URL = partnerCenterLink('Trial', pcId(7));
    const createdId = (r: Result) => /Offer (\S+) created/.exec(r.stderr)![1]!;
    const trialOut = await ok(['offer', 'create', '--trial-url', TRIAL_URL, '--trial', 'Microsoft 365 Business Premium', ...J]);
    const trialId = createdId(trialOut);
    if (mode === 'json') {
      const o = json(trialOut);
      expect(o).toMatchObject({ id: trialId, url: TRIAL_URL, trial: { product: 'Microsoft 365 Business Premium', url: TRIAL_URL } });
      expect(o.text).toContain(TRIAL_URL);
    } else {
      expect(trialOut.stdout).toContain('Microsoft 365 Business Premium');
      expect(linkIn(trialOut.stdout)).toBe(TRIAL_URL);
    }
    expect(trialOut.stderr).toContain('ticked Delegated administration');
    expect(offerIdOf(TRIAL_URL)).not.toBe(trialId);
    const trialAccept = await ok(['client', 'accept', TRIAL_URL, '--domain', 'fourthcoffee.com', ...J]);
    if (mode === 'json') expect(json(trialAccept).offerId).toBe(trialId);
    else expect(rows(trialAccept.stdout)[0]![4]).toBe(trialId);

    // --- an offer included with a purchase offer
    const PURCHASE_URL = partnerCenterLink('Purchase', pcId(8));
    const purchaseOut = await ok(['offer', 'create', '--purchase-url', PURCHASE_URL, '--purchase', 'Microsoft 365 E3', '--quantity', '5', ...J]);
    const purchaseId = createdId(purchaseOut);
    if (mode === 'json') {
      expect(json(purchaseOut).purchase).toEqual({ product: 'Microsoft 365 E3', quantity: 5, url: PURCHASE_URL });
    } else {
      expect(purchaseOut.stdout).toContain('5 licences of Microsoft 365 E3');
      expect(linkIn(purchaseOut.stdout)).toBe(PURCHASE_URL);
    }
    const purchaseAccept = await ok(['client', 'accept', PURCHASE_URL, '--domain', 'adatum.com', ...J]);
    if (mode === 'json') expect(json(purchaseAccept).offerId).toBe(purchaseId);

    // --- after a purchase offer, the plain delegated admin link is still recorded under the latest plain offer
    const plainAfter = await ok(['client', 'accept', ADMIN_URL, '--domain', 'wingtiptoys.com', ...J]);
    if (mode === 'json') expect(json(plainAfter).offerId).toBe(plain2);
    else expect(rows(plainAfter.stdout)[0]![4]).toBe(plain2);

    // --- acceptedCount per offer
    const offers = await ok(['offer', 'list', ...J]);
    const counts =
      mode === 'json'
        ? Object.fromEntries((json(offers) as { id: string; acceptedCount: number }[]).map((o) => [o.id, o.acceptedCount]))
        : Object.fromEntries(rows(offers.stdout).map((r) => [r[0], Number(r[3])]));
    expect(counts).toEqual({ [plain1]: 1, [plain2]: 3, [trialId]: 1, [purchaseId]: 1 });

    // --- the partner is notified of each acceptance; listing does not mark read
    const inboxIds = async (unread: boolean): Promise<string[]> => {
      const r = await ok(['inbox', ...(unread ? ['--unread'] : []), ...J]);
      return mode === 'json' ? (json(r) as { id: number }[]).map((n) => String(n.id)) : rows(r.stdout).map((x) => x[0]!);
    };
    const [inbox, all, unreadAtFirst] = await Promise.all([ok(['inbox', ...J]), inboxIds(false), inboxIds(true)]);
    if (mode === 'json') {
      const items = json(inbox) as { clientDomain: string; read: boolean }[];
      expect(items.map((n) => n.clientDomain).sort()).toEqual(['adatum.com', 'contoso.com', 'fourthcoffee.com', 'northwind.com', 'tailspintoys.com', 'wingtiptoys.com']);
      expect(items.every((n) => n.read === false)).toBe(true);
    } else {
      const items = rows(inbox.stdout);
      expect(items).toHaveLength(6);
      expect(items.every((n) => n[2] === 'false')).toBe(true);
      expect(items.some((n) => n[3]!.includes('contoso.com'))).toBe(true);
    }
    expect(all).toHaveLength(6);
    expect(unreadAtFirst).toEqual(all);

    await ok(['inbox', 'read', all[0]!]);
    expect(await inboxIds(true)).toEqual(all.slice(1));
    await ok(['inbox', 'read', '--all']);
    const [unreadAfter, allAfter] = await Promise.all([inboxIds(true), inboxIds(false)]);
    expect(unreadAfter).toEqual([]);
    expect(allAfter).toEqual(all);

    // --- every client is active
    const clients = await ok(['client', 'list', ...J]);
    const statuses =
      mode === 'json'
        ? (json(clients) as { domain: string; status: string }[]).map((c) => [c.domain, c.status])
        : rows(clients.stdout).map((c) => [c[0], c[3]]);
    expect(statuses).toEqual(
      ['adatum.com', 'contoso.com', 'fourthcoffee.com', 'northwind.com', 'tailspintoys.com', 'wingtiptoys.com'].map((d) => [d, 'active']),
    );
  });
});

test('offer create: the text says who offers what, with the link; email, html and url formats', async () => {
  await initFabrikam();
  const [text, email, html, url] = await Promise.all([
    ok(['offer', 'create']),
    ok(['offer', 'create', '--format', 'email']),
    ok(['offer', 'create', '--format', 'html']),
    ok(['offer', 'create', '--format', 'url']),
  ]);
  expect(text.stdout).toContain('Fabrikam IT');
  expect(linkIn(text.stdout)).toBe(ADMIN_URL);
  expect(text.stdout).toMatch(/add(ing)? (and manage )?users/i);
  expect(text.stdout).toMatch(/reset(ting)? passwords/i);
  expect(text.stdout).toMatch(/add(ing)? domains/i);
  expect(text.stdout).toMatch(/Mobile Device Management[^\n]*not supported/);

  expect(email.stdout.split('\n')[0]).toMatch(/^Subject: \S/);
  expect(email.stdout).toContain(ADMIN_URL);
  expect(email.stdout).toContain('Fabrikam IT');

  expect(html.stdout.trim()).toMatch(/^<[a-z]+[\s>][\s\S]*<\/[a-z]+>$/);
  expect(html.stdout).not.toMatch(/<html|<body|<head/i);
  const href = html.stdout.match(/<a [^>]*href="([^"]+)"/);
  expect(href).not.toBeNull();
  expect(href![1]!.replace(/&amp;/g, '&')).toBe(ADMIN_URL);
  expect(html.stdout).toMatch(/Mobile Device Management[^<]*not supported/);

  expect(url.stdout).toBe(ADMIN_URL + '\n');
  // the offer itself goes to stdout; the Partner Center hint and notes go to stderr
  for (const r of [text, email, html, url]) {
    expect(r.stderr).toContain(HINT_FEW);
    expect(r.stdout).not.toContain(HINT_FEW);
  }
});

test('Partner Center hint: "Build your business" under 100 active clients, "Partner overview" at 100', async () => {
  await initFabrikam();
  const offerId = JSON.parse(await setup(['offer', 'create', '--json'])).id;
  const csv = join(sb.dir, 'clients.csv');
  const lines = ['domain,name,tenantId'];
  for (let i = 1; i <= 99; i++) lines.push(`client${i}.com,Client ${i},`);
  writeFileSync(csv, lines.join('\n') + '\n');

  const bulk = await ok(['client', 'accept', ADMIN_URL, '--file', csv, '--json']);
  const accepted = json(bulk) as { domain: string; offerId: string }[];
  expect(accepted).toHaveLength(99);
  expect(accepted.every((c) => c.offerId === offerId)).toBe(true);

  const at99 = await ok(['offer', 'create']);
  expect(at99.stderr).toContain(HINT_FEW);
  expect(at99.stderr).not.toContain(HINT_MANY);

  // one more (a one-row file still prints an array) makes 100
  writeFileSync(csv, 'domain\nclient100.com\n');
  const one = await ok(['client', 'accept', ADMIN_URL, '--file', csv, '--json']);
  expect(json(one)).toEqual([expect.objectContaining({ domain: 'client100.com', status: 'active' })]);

  const at100 = await ok(['offer', 'create']);
  expect(at100.stderr).toContain(HINT_MANY);
  expect(at100.stderr).not.toContain(HINT_FEW);
  expect(at100.stdout).not.toContain(HINT_MANY);

  // a removed client is no longer managed
  await setup(['client', 'remove', 'client100.com', '--yes']);
  const after = await ok(['offer', 'create']);
  expect(after.stderr).toContain(HINT_FEW);
});

test('revoking a plain offer: the shared link keeps working while another plain offer is active', async () => {
  await initFabrikam();
  const p1 = JSON.parse(await setup(['offer', 'create', '--json'])).id as string;
  const p2 = JSON.parse(await setup(['offer', 'create', '--json'])).id as string;

  const r2 = await ok(['offer', 'revoke', p2, '--yes', '--json']);
  expect(json(r2)).toMatchObject({ id: p2, status: 'revoked' });
  expect(r2.stderr).toMatch(/still work/i);
  expect(r2.stderr).toContain(p1);

  const [viaLink, revokedById] = await Promise.all([
    ok(['client', 'accept', ADMIN_URL, '--domain', 'contoso.com', '--json']),
    run(['client', 'accept', p2, '--domain', 'northwind.com']),
  ]);
  expect(json(viaLink).offerId).toBe(p1);
  expect(revokedById.code).toBe(5);
  expect(revokedById.stderr).toMatch(/revoked/);

  const r1 = await ok(['offer', 'revoke', p1, '--yes']);
  expect(r1.stderr).not.toMatch(/still works/i);
  expect(r1.stderr).toMatch(/no longer/i);

  const [deadLink, active, all, clients] = await Promise.all([
    run(['client', 'accept', ADMIN_URL, '--domain', 'northwind.com']),
    ok(['offer', 'list', '--json']),
    ok(['offer', 'list', '--all', '--json']),
    ok(['client', 'list']),
  ]);
  expect(deadLink.code).toBe(5);
  expect(deadLink.stderr.trim().split('\n')).toHaveLength(1);
  // revoked offers leave the default list, and stay in --all
  expect(json(active)).toEqual([]);
  expect((json(all) as { id: string; status: string; acceptedCount: number }[]).map((o) => [o.id, o.status, o.acceptedCount])).toEqual([
    [p1, 'revoked', 1],
    [p2, 'revoked', 0],
  ]);
  expect(rows(clients.stdout).map((c) => c[0])).toEqual(['contoso.com']);
});

test('clients: list, show, --status, --search; remove needs --yes without a terminal and keeps history', async () => {
  await initFabrikam();
  const offerId = JSON.parse(await setup(['offer', 'create', '--json'])).id as string;
  await setup(['client', 'accept', ADMIN_URL, '--domain', 'contoso.com', '--name', 'Contoso Ltd']);
  await setup(['client', 'accept', offerId, '--domain', 'northwind.com', '--name', 'Northwind Traders', '--tenant-id', '72f988bf-86f1-41af-91ab-2d7cd011db47']);
  await setup(['client', 'accept', ADMIN_URL, '--domain', 'adatum.com']);

  const [list, byName, byTenant, none, show] = await Promise.all([
    ok(['client', 'list']),
    ok(['client', 'list', '--search', 'North']),
    ok(['client', 'list', '--search', '91ab-2d7c']),
    ok(['client', 'list', '--search', 'zzz']),
    ok(['client', 'show', 'Contoso.COM', '--json']),
  ]);
  expect(rows(list.stdout).map((r) => r[0])).toEqual(['adatum.com', 'contoso.com', 'northwind.com']);
  expect(rows(byName.stdout).map((r) => r[0])).toEqual(['northwind.com']);
  expect(rows(byTenant.stdout).map((r) => r[0])).toEqual(['northwind.com']);
  expect(rows(none.stdout)).toEqual([]);
  const shown = json(show);
  expect(shown).toEqual({
    domain: 'contoso.com',
    name: 'Contoso Ltd',
    tenantId: null,
    status: 'active',
    offerId,
    acceptedAt: expect.stringMatching(ISO),
    removedAt: null,
    relationships: [{ kind: 'dap', status: 'active', offerId, acceptedAt: shown.acceptedAt, removedAt: null }],
  });

  const unconfirmed = await run(['client', 'remove', 'contoso.com']);
  expect(unconfirmed.code).toBe(2);
  expect(unconfirmed.stderr).toContain('--yes');
  expect(JSON.parse(await setup(['client', 'show', 'contoso.com', '--json'])).status).toBe('active');

  const removed = json(await ok(['client', 'remove', 'contoso.com', '--yes', '--json']));
  expect(removed).toMatchObject({ domain: 'contoso.com', status: 'removed', offerId, acceptedAt: shown.acceptedAt });
  expect(removed.removedAt).toMatch(ISO);

  const [gone, stillActive, history] = await Promise.all([
    ok(['client', 'list', '--status', 'removed']),
    ok(['client', 'list', '--status', 'active']),
    ok(['client', 'show', 'contoso.com', '--json']),
  ]);
  expect(rows(gone.stdout).map((r) => [r[0], r[3]])).toEqual([['contoso.com', 'removed']]);
  expect(rows(stillActive.stdout).map((r) => r[0])).toEqual(['adatum.com', 'northwind.com']);
  expect(json(history)).toMatchObject({ status: 'removed', name: 'Contoso Ltd', offerId });

  // a removed client can accept again
  const again = json(await ok(['client', 'accept', ADMIN_URL, '--domain', 'contoso.com', '--json']));
  expect(again).toMatchObject({ domain: 'contoso.com', status: 'active', removedAt: null });
});

test('a 21Vianet partner gets portal.partner.microsoftonline.cn links; a global link is refused', async () => {
  await initFabrikam(['--cloud', 'china']);
  const [partner, text, trialOut, global] = await Promise.all([
    ok(['partner', 'show', '--json']),
    ok(['offer', 'create']),
    ok(['offer', 'create', '--trial-url', partnerCenterLink('Trial', pcId(9), MPN, 'china'), '--trial', 'Office 365 E1', '--json']),
    run(['client', 'accept', ADMIN_URL, '--domain', 'contoso.cn']),
  ]);
  expect(json(partner)).toMatchObject({ cloud: 'china', certified: true });
  expect(linkIn(text.stdout)).toBe(CHINA_URL);
  expect(text.stdout).toContain('21Vianet');
  expect(text.stderr).toMatch(/unverified/i);

  const trial = json(trialOut);
  expect(new URL(trial.url).host).toBe('portal.partner.microsoftonline.cn');
  expect(trial.url).toBe(partnerCenterLink('Trial', pcId(9), MPN, 'china'));
  expect(trialOut.stderr).toMatch(/21Vianet trial and purchase links is not publicly confirmed/);
  expect(trialOut.stderr).toMatch(/Partner ID is not set.*partner set --mpn-id/);

  expect(global.code).toBe(2);
  expect(global.stderr.trim().split('\n')).toHaveLength(1);
  expect(global.stderr).toMatch(/21Vianet|china/);

  const china = json(await ok(['client', 'accept', CHINA_URL, '--domain', 'contoso.cn', '--json']));
  expect(china).toMatchObject({ domain: 'contoso.cn', status: 'active' });
  expect(JSON.parse(await setup(['client', 'list', '--json']))).toHaveLength(1);
});

test('config: set, get and list actor and output; they take effect; an unknown key is exit 2', async () => {
  await initFabrikam();
  await setup(['user', 'add', GRACE]);
  await setup(['user', 'grant-admin', GRACE, '--role', 'limited']);

  expect(json(await ok(['config', 'list', '--json']))).toEqual([
    { key: 'actor', value: null },
    { key: 'output', value: null },
    { key: 'db', value: null },
    { key: 'mode', value: null },
    { key: 'live.settle', value: null },
    { key: 'live.limits.tenantRelationships', value: null },
    { key: 'live.limits.identity', value: null },
    { key: 'live.limits.partnerCenter', value: null },
    { key: 'live.concurrency', value: null },
    { key: 'live.tenantSize', value: null },
  ]);

  await ok(['config', 'set', 'actor', 'Grace@Fabrikam.com']);
  expect((await ok(['config', 'get', 'actor'])).stdout).toBe(GRACE + '\n');
  if (PG_MODE) {
    // On a team store the acting user is the database login's (SPEC "Who is acting"): the setting is exit 4.
    const refused = await run(['offer', 'create', '--json']);
    expect(refused.code).toBe(4);
    expect(JSON.parse(refused.stderr)).toEqual({ error: { code: 'not_permitted', message: expect.stringMatching(/^The actor setting is refused on a team store/) } });
    await ok(['config', 'unset', 'actor']);
  } else {
    const [asSetting, asFlag] = await Promise.all([
      ok(['offer', 'create', '--json']),
      // --as wins over the setting
      ok(['offer', 'create', '--json', '--as', ADMIN]),
    ]);
    expect(json(asSetting).createdBy).toBe(GRACE);
    expect(json(asFlag).createdBy).toBe(ADMIN);
  }

  await ok(['config', 'set', 'output', 'json']);
  const [users, plainUsers, plainConfig, ...bad] = await Promise.all([
    ok(['user', 'list']),
    // a flag still wins over the setting
    ok(['user', 'list', '--output', 'plain']),
    ok(['config', 'list', '--output', 'plain']),
    run(['config', 'get', 'colour']),
    run(['config', 'set', 'colour', 'blue']),
    run(['config', 'set', 'output', 'xml']),
    run(['config', 'set', 'actor', 'not-an-email']),
  ]);
  expect((JSON.parse(users.stdout) as { email: string }[]).map((u) => u.email)).toEqual([ADMIN, GRACE]);
  expect(rows(plainUsers.stdout).map((r) => r[0])).toEqual([ADMIN, GRACE]);
  expect(rows(plainConfig.stdout)).toEqual([
    ['actor', PG_MODE ? '' : GRACE],
    ['output', 'json'],
    ['db', ''],
    ['mode', ''],
    ['live.settle', ''],
    ['live.limits.tenantRelationships', ''],
    ['live.limits.identity', ''],
    ['live.limits.partnerCenter', ''],
    ['live.concurrency', ''],
    ['live.tenantSize', ''],
  ]);
  for (const r of bad) {
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }
  // the refused sets changed nothing
  expect(json(await ok(['config', 'list', '--json']))).toEqual([
    { key: 'actor', value: PG_MODE ? null : GRACE },
    { key: 'output', value: 'json' },
    { key: 'db', value: null },
    { key: 'mode', value: null },
    { key: 'live.settle', value: null },
    { key: 'live.limits.tenantRelationships', value: null },
    { key: 'live.limits.identity', value: null },
    { key: 'live.limits.partnerCenter', value: null },
    { key: 'live.concurrency', value: null },
    { key: 'live.tenantSize', value: null },
  ]);
});

test('output formats: json arrays for list commands, csv with a header, plain tab-separated without one', async () => {
  await initFabrikam();
  const offer = JSON.parse(await setup(['offer', 'create', '--json']));
  await setup(['client', 'accept', ADMIN_URL, '--domain', 'contoso.com', '--name', 'Contoso, Ltd']);

  const lists: { args: string[]; keys: string[] }[] = [
    { args: ['user', 'list'], keys: ['email', 'name', 'orgRole', 'adminAccess', 'canCreateOffers'] },
    { args: ['offer', 'list'], keys: ['id', 'url', 'text', 'status', 'createdAt', 'createdBy', 'acceptedCount'] },
    { args: ['client', 'list'], keys: ['domain', 'name', 'tenantId', 'status', 'offerId', 'acceptedAt', 'removedAt'] },
    { args: ['inbox'], keys: ['id'] },
    { args: ['config', 'list'], keys: ['key', 'value'] },
  ];
  const [empty, shownR, partnerR, csvClients, csvUsers, plainDefault, plainFlag, plainOffers, ...arrays] = await Promise.all([
    ok(['client', 'list', '--status', 'removed', '--json']),
    ok(['client', 'show', 'contoso.com', '--json']),
    ok(['partner', 'show', '--json']),
    ok(['client', 'list', '--output', 'csv']),
    ok(['user', 'list', '--output', 'csv']),
    ok(['client', 'list']),
    ok(['client', 'list', '--output', 'plain']),
    ok(['offer', 'list']),
    ...lists.map(({ args }) => ok([...args, '--output', 'json'])),
  ]);

  lists.forEach(({ args, keys }, i) => {
    const arr = json(arrays[i]!);
    expect(Array.isArray(arr)).toBe(true);
    expect(arr).toHaveLength(args[0] === 'config' ? 10 : 1);
    for (const k of keys) expect(arr[0]).toHaveProperty(k);
  });
  // empty lists are still arrays
  expect(json(empty)).toEqual([]);

  // a single object otherwise
  const shown = json(shownR);
  expect(Array.isArray(shown)).toBe(false);
  expect(shown.name).toBe('Contoso, Ltd');
  expect(Array.isArray(json(partnerR))).toBe(false);

  // csv: a header row, then one row per record, quoted where needed
  const csv = csvClients.stdout.trim().split('\n');
  expect(csv).toHaveLength(2);
  expect(csv[0]!.split(',')).toEqual(expect.arrayContaining(['domain', 'name', 'status']));
  expect(csv[1]).toContain('"Contoso, Ltd"');
  expect(csvUsers.stdout.split('\n')[0]).toMatch(/^email,/);

  // plain (the default when piped): no header, tab-separated, one record a line
  expect(plainDefault.stdout).toBe(plainFlag.stdout);
  const recs = rows(plainDefault.stdout);
  expect(recs).toHaveLength(1);
  expect(recs[0]!.slice(0, 2)).toEqual(['contoso.com', 'Contoso, Ltd']);
  expect(plainDefault.stdout).not.toMatch(/domain\tname/);
  expect(rows(plainOffers.stdout)[0]![0]).toBe(offer.id);
});

test('piped output has no ANSI codes, even without NO_COLOR and with --output table', async () => {
  const env = { ...sb.env };
  delete env.NO_COLOR;
  env.TERM = 'xterm-256color';
  await initFabrikam();
  const results = await Promise.all([
    ok(['user', 'list', '--output', 'table'], { env }),
    ok(['partner', 'show', '--output', 'table'], { env }),
    ok(['offer', 'create'], { env }),
    run(['client', 'show', 'nowhere.com'], { env }),
    ok(['user', 'list', '--output', 'table', '--no-color'], { env }),
  ]);
  expect(results[0]!.stdout).toContain(ADMIN);
  expect(results[3]!.code).toBe(3);
  for (const r of results) {
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stderr).not.toMatch(ANSI);
  }
});
