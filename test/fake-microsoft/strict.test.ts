/**
 * The loopback fake is strict where Microsoft's pages say Microsoft is (each
 * rule cited in graph-gdap.ts and graph-directory.ts), and filters lists only
 * as it understands (never ignoring a filter). Plain HTTP: the fake is the
 * subject, not delegate's client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeMicrosoft, startFakeMicrosoft } from './server.js';

let fake: FakeMicrosoft;

beforeAll(async () => {
  fake = await startFakeMicrosoft();
});
afterEach(() => {
  fake.reset();
  fake.refuseFilterOn = [];
});
afterAll(async () => {
  await fake.close();
});

async function graph(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${fake.graphUrl}/v1.0${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const REL = '/tenantRelationships/delegatedAdminRelationships';
const roles = { unifiedRoles: [{ roleDefinitionId: '29232cdf-9323-42fd-ade2-1d097af3e4de' }] };
const status = async (p: Promise<{ status: number }>) => (await p).status;

describe('relationships', () => {
  it('a name unique (also when renamed) and at most 50 characters, duration P1D..P2Y, autoExtendDuration P0D/PT0S/P180D', async () => {
    const a = await graph('POST', REL, { displayName: 'Strict A', duration: 'P730D', accessDetails: roles });
    expect(a.status).toBe(201);
    expect(await status(graph('POST', REL, { displayName: 'Strict B', duration: 'P1D', accessDetails: roles, autoExtendDuration: 'P0D' }))).toBe(201);
    expect(await graph('POST', REL, { displayName: 'Strict A', duration: 'P30D', accessDetails: roles })).toMatchObject({ status: 409, body: { error: { code: 'Conflict' } } });
    expect(await status(graph('POST', REL, { displayName: 'x'.repeat(51), duration: 'P30D', accessDetails: roles }))).toBe(400);
    expect(await status(graph('POST', REL, { displayName: 'Too long', duration: 'P731D', accessDetails: roles }))).toBe(400);
    expect(await status(graph('POST', REL, { displayName: 'Zero', duration: 'P0D', accessDetails: roles }))).toBe(400);
    expect(await status(graph('POST', REL, { displayName: 'Ninety', duration: 'P30D', accessDetails: roles, autoExtendDuration: 'P90D' }))).toBe(400);
    expect(await status(graph('PATCH', `${REL}/${a.body.id}`, { displayName: 'Strict B' }, { 'If-Match': a.body['@odata.etag'] }))).toBe(409);
    expect([...fake.relationships.values()].map((r) => r.displayName)).toEqual(['Strict A', 'Strict B']);
  });

  it('PATCH and DELETE need If-Match: 400 without, 412 stale, and apply with the current one', async () => {
    const a = (await graph('POST', REL, { displayName: 'Etag', duration: 'P30D', accessDetails: roles })).body;
    const path = `${REL}/${a.id}`;
    expect(await status(graph('PATCH', path, { duration: 'P31D' }))).toBe(400);
    expect(await status(graph('PATCH', path, { duration: 'P31D' }, { 'If-Match': 'W/"stale"' }))).toBe(412);
    expect(fake.relationships.get(a.id)!.duration).toBe('P30D');
    const ok = await graph('PATCH', path, { duration: 'P31D' }, { 'If-Match': a['@odata.etag'] });
    expect(ok).toMatchObject({ status: 200, body: { duration: 'P31D' } });
    expect(await status(graph('DELETE', path, undefined, { 'If-Match': a['@odata.etag'] }))).toBe(412);
    expect(await status(graph('DELETE', path, undefined, { 'If-Match': ok.body['@odata.etag'] }))).toBe(204);
  });
});

describe('access assignments', () => {
  it('If-Match required (400 without, 412 stale); an update that changes it is 202 with an operation to read, an identical one 200', async () => {
    const relId = fake.addRelationship({ displayName: 'Assigned', status: 'active' });
    const g = fake.addGroup('Helpdesk');
    const a = (await graph('POST', `${REL}/${relId}/accessAssignments`, { accessContainer: { accessContainerId: g, accessContainerType: 'securityGroup' }, accessDetails: roles })).body;
    const path = `${REL}/${relId}/accessAssignments/${a.id}`;
    const change = { accessDetails: { unifiedRoles: [{ roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1' }] } };
    expect(await status(graph('PATCH', path, change))).toBe(400);
    expect(await status(graph('PATCH', path, change, { 'If-Match': 'W/"stale"' }))).toBe(412);
    expect(await status(graph('PATCH', path, { accessDetails: roles }, { 'If-Match': a['@odata.etag'] }))).toBe(200);
    const updated = await graph('PATCH', path, change, { 'If-Match': a['@odata.etag'] });
    expect(updated.status).toBe(202);
    expect(updated.body).toBeUndefined();
    expect(updated.headers.get('retry-after')).toBe('10');
    const location = updated.headers.get('location')!;
    expect(location).toMatch(new RegExp(`/delegatedAdminRelationships/${relId}/operations/[0-9a-f-]{36}$`));
    const op = await graph('GET', new URL(location).pathname.replace(/^\/v1\.0/, ''));
    expect(op.body).toMatchObject({ operationType: 'delegatedAdminAccessAssignmentUpdate', status: 'succeeded' });
    const now = (await graph('GET', path)).body;
    expect(now.accessDetails).toEqual(change.accessDetails);
    expect(await status(graph('DELETE', path, undefined, { 'If-Match': a['@odata.etag'] }))).toBe(412);
    expect(await status(graph('DELETE', path, undefined, { 'If-Match': now['@odata.etag'] }))).toBe(204);
  });
});

describe('groups', () => {
  it('adding an existing member is 400 with Graph’s message', async () => {
    const g = fake.addGroup('Members');
    const u = fake.addUser('member@fabrikam.com');
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${u}` };
    expect(await status(graph('POST', `/groups/${g}/members/$ref`, ref))).toBe(204);
    expect(await graph('POST', `/groups/${g}/members/$ref`, ref)).toMatchObject({
      status: 400,
      body: { error: { code: 'Request_BadRequest', message: "One or more added object references already exist for the following modified properties: 'members'." } },
    });
  });
});

describe('$filter', () => {
  const q = (f: string) => `$filter=${encodeURIComponent(f)}`;

  it('eq comparisons joined by and are applied; another filter is 501 (never ignored); a refused one is 400', async () => {
    const made = (await graph('POST', '/groups', { displayName: 'Filtered', mailEnabled: false, mailNickname: 'dlg-0f1e2d3c', securityEnabled: true })).body;
    fake.addGroup('Filtered');
    expect((await graph('GET', `/groups?${q("mailNickname eq 'dlg-0f1e2d3c'")}`)).body.value.map((g: { id: string }) => g.id)).toEqual([made.id]);
    expect((await graph('GET', `/groups?${q("displayName eq 'filtered' and mailNickname eq 'dlg-0f1e2d3c'")}`)).body.value).toHaveLength(1);
    expect((await graph('GET', `/groups?${q("displayName eq 'Filtered'")}`)).body.value).toHaveLength(2);
    expect(await status(graph('GET', `/groups?${q("startswith(displayName,'Fil')")}`))).toBe(501);
    const rel = fake.addRelationship({ displayName: "O'Brien GDAP", status: 'created' });
    fake.addRelationship({ displayName: 'Other', status: 'created' });
    const byName = `${REL}?${q("displayName eq 'O''Brien GDAP'")}`;
    expect((await graph('GET', byName)).body.value.map((r: { id: string }) => r.id)).toEqual([rel]);
    fake.refuseFilterOn = [REL];
    expect(await status(graph('GET', byName))).toBe(400);
    expect(await status(graph('GET', REL))).toBe(200);
  });
});
