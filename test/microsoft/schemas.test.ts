/**
 * Answers are checked (SPEC "Live mode, exactly once"): one test per response
 * type Microsoft documents for the calls delegate makes, each against a
 * loopback server: an answer shaped like Microsoft's documented example is
 * read (with unknown properties, derived types and enum members Microsoft may
 * add), and one that is not is a MalformedAnswerError naming the request,
 * never an empty result. And every request the tool can plan has a schema.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { planJson, type PlannedRequest } from '../../src/domain/plan/request.js';
import * as dir from '../../src/domain/plan/directory-requests.js';
import * as grp from '../../src/domain/plan/group-requests.js';
import * as rel from '../../src/domain/plan/relationship-requests.js';
import { routeOf } from '../../src/microsoft/execute.js';
import { MalformedAnswerError } from '../../src/microsoft/errors.js';
import * as schemas from '../../src/microsoft/schemas.js';
import * as pimSchemas from '../../src/microsoft/pim-schemas.js';
import * as pim from '../../src/domain/plan/pim-requests.js';
import type { Method } from '../../src/microsoft/client.js';
import { failure, json, startLoopback, testClient, type Loopback } from './loopback.js';
import { planCreateRelationships } from '../helpers/shortcuts.js';

let lb: Loopback;
beforeAll(async () => {
  lb = await startLoopback();
});
afterAll(async () => {
  await lb.close();
});
beforeEach(() => {
  lb.seen.length = 0;
});

const REL = '/tenantRelationships/delegatedAdminRelationships';
const RID = '5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836';
const ETAG = 'W/"JyIwMzAwZTM0ZS0wMDAwLTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw=="';
const GUID = '52eaad04-13a2-4a2f-9ce8-93a294fadf36';

/** Shaped like the examples on each type's page (ids of our own). */
const relationship = {
  '@odata.type': '#microsoft.graph.delegatedAdminRelationship',
  '@odata.etag': ETAG,
  id: RID,
  displayName: 'Contoso admin relationship',
  duration: 'P730D',
  customer: { tenantId: GUID, displayName: 'Contoso Inc' },
  accessDetails: { unifiedRoles: [{ roleDefinitionId: 'dd4db9a0-cc4a-4213-9f9f-70242232d97e' }] },
  status: 'active',
  autoExtendDuration: 'P180D',
  createdDateTime: '2022-02-10T11:24:42.3148266Z',
  lastModifiedDateTime: '2022-02-10T11:26:44.9941884Z',
  activatedDateTime: '2022-02-10T11:26:44.9941884Z',
  endDateTime: '2024-02-10T11:24:42.3148266Z',
};
const reseller = {
  ...relationship,
  '@odata.type': '#microsoft.graph.resellerDelegatedAdminRelationship',
  id: `4b227261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836`,
  displayName: 'Fabrikam admin relationship',
  status: 'approvalPending',
  activatedDateTime: null,
  endDateTime: null,
  isPartnerConsentPending: true,
  indirectProviderTenantId: '60ea59db-a506-485e-94c5-d115f369e239',
};
const request = { '@odata.type': '#microsoft.graph.delegatedAdminRelationshipRequest', id: '7b2b5ea1-1e7f-4b8b-bf7a-5a1b1e0b1a11', action: 'lockForApproval', status: 'created', createdDateTime: '2022-02-10T11:24:42.3148266Z', lastModifiedDateTime: '2022-02-10T11:24:42.3148266Z' };
const assignment = {
  '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment',
  '@odata.etag': ETAG,
  id: '2c1f6e2a-7f0b-4b4b-9f2b-8a0a9d6c1e21',
  status: 'active',
  accessContainer: { accessContainerId: '869713c9-0b28-4d08-8949-ae07ae1bf528', accessContainerType: 'securityGroup' },
  accessDetails: { unifiedRoles: [{ roleDefinitionId: '29232cdf-9323-42fd-ade2-1d097af3e4de' }] },
  createdDateTime: '2022-02-10T11:24:42.3148266Z',
  lastModifiedDateTime: '2022-02-10T11:26:44.9941884Z',
};
const operation = { '@odata.type': '#microsoft.graph.delegatedAdminRelationshipOperation', '@odata.etag': ETAG, id: '3d6f2a8b-4a2e-4c7a-9b1e-1f2e3d4c5b6a', operationType: 'delegatedAdminAccessAssignmentUpdate', data: '{}', status: 'running', createdDateTime: '2022-02-10T11:24:42Z', lastModifiedDateTime: '2022-02-10T11:24:42Z' };
const group = { id: '45b7d2e7-b882-4a80-ba97-10b7a63b8fa4', displayName: 'Helpdesk', mailNickname: 'dlg-6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b', mailEnabled: false, securityEnabled: true, groupTypes: [], description: null };
const member = { '@odata.type': '#microsoft.graph.user', id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd', userPrincipalName: 'AdeleV@contoso.com', mail: 'AdeleV@contoso.com', displayName: 'Adele Vance' };
const user = { id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd', businessPhones: [], displayName: 'Adele Vance', userPrincipalName: 'AdeleV@contoso.onmicrosoft.com', mail: null, accountEnabled: true };
const roleAssignment = { id: 'lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1', roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10', principalId: '87d349ed-44d7-43e1-9a83-5f2406dee5bd', directoryScopeId: '/' };
const domain = { authenticationType: 'Managed', availabilityStatus: null, id: 'contoso.com', isAdminManaged: true, isDefault: false, isInitial: false, isRoot: true, isVerified: false, supportedServices: [] };
const dnsTxt = { '@odata.type': '#microsoft.graph.domainDnsTxtRecord', id: 'aceff52c-06a5-447f-ac5f-256ad243cc5c', isOptional: false, label: 'contoso.com', recordType: 'Txt', supportedService: 'Email', ttl: 3600, text: 'MS=ms75528557' };
const dnsMx = { '@odata.type': '#microsoft.graph.domainDnsMxRecord', id: '5fbde38c-0865-497f-82b1-126f596bcee9', isOptional: false, label: 'contoso.com', recordType: 'Mx', supportedService: 'Email', ttl: 3600, mailExchange: 'ms75528557.msv1.invalid', preference: 32767 };
const contract = { '@odata.type': '#microsoft.graph.contract', id: '36be4f8d-1c36-4a40-9d9b-95b2f1d1c9a3', contractType: 'ResellerPartner', customerId: GUID, defaultDomainName: 'contoso.onmicrosoft.com', displayName: 'Contoso' };
const tenantInformation = { tenantId: GUID, federationBrandName: null, displayName: 'Contoso', defaultDomainName: 'contoso.onmicrosoft.com' };
const customer = {
  id: GUID,
  commerceId: '8a6d1e2f-3b4c-4d5e-8f60-7a1b2c3d4e5f',
  companyProfile: { tenantId: GUID, domain: 'contoso.onmicrosoft.com', companyName: 'Contoso', attributes: { objectType: 'CustomerCompanyProfile' } },
  relationshipToPartner: 'reseller',
  allowDelegatedAccess: true,
  attributes: { objectType: 'Customer' },
};
const page = (...value: unknown[]) => ({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#x', value });

interface Case {
  type: string;
  schema: schemas.Schema<unknown>;
  method: Method;
  path: string;
  service?: 'graph' | 'partnerCenter';
  status?: number;
  good: unknown;
  /** What the good answer reads as (a part of it). */
  reads: unknown;
  bad: unknown;
  /** The problem the bad answer is reported with. */
  problem: RegExp;
}

const CASES: Case[] = [
  {
    type: 'delegatedAdminRelationship (create, 201)',
    schema: schemas.relationship,
    method: 'POST',
    path: REL,
    status: 201,
    good: { ...relationship, status: 'created', activatedDateTime: null, endDateTime: null },
    reads: { id: RID, status: 'created', '@odata.etag': ETAG },
    bad: { ...relationship, id: undefined },
    problem: /\(id: expected string, received undefined\)/,
  },
  {
    type: 'delegatedAdminRelationship (get)',
    schema: schemas.relationship,
    method: 'GET',
    path: `${REL}/${RID}`,
    good: { ...relationship, status: 'someStatusMicrosoftAddsLater', aPropertyMicrosoftAddsLater: 1 },
    reads: { status: 'someStatusMicrosoftAddsLater', aPropertyMicrosoftAddsLater: 1 },
    bad: { ...relationship, status: 7 },
    problem: /\(status: expected string, received number\)/,
  },
  {
    type: 'delegatedAdminRelationship collection (with a resellerDelegatedAdminRelationship)',
    schema: schemas.relationshipPage,
    method: 'GET',
    path: REL,
    good: page(relationship, reseller),
    reads: { value: [{ id: RID }, { '@odata.type': '#microsoft.graph.resellerDelegatedAdminRelationship', isPartnerConsentPending: true }] },
    bad: page(relationship, { ...reseller, accessDetails: { unifiedRoles: 'all' } }),
    problem: /\(value\[1\]\.accessDetails\.unifiedRoles: expected array, received string\)/,
  },
  {
    type: 'delegatedAdminRelationshipRequest (create, 201)',
    schema: schemas.relationshipRequest,
    method: 'POST',
    path: `${REL}/${RID}/requests`,
    status: 201,
    good: request,
    reads: { action: 'lockForApproval', status: 'created' },
    bad: { ...request, action: null },
    problem: /\(action: expected string, received null\)/,
  },
  {
    // The list page's own example shows status "running", which is no member of the enum: it passes.
    type: 'delegatedAdminRelationshipRequest collection',
    schema: schemas.relationshipRequestPage,
    method: 'GET',
    path: `${REL}/${RID}/requests`,
    good: page({ ...request, action: 'terminate', status: 'running' }),
    reads: { value: [{ action: 'terminate', status: 'running' }] },
    bad: { ...page(request), value: { ...request } },
    problem: /\(value: expected array, received object\)/,
  },
  {
    type: 'delegatedAdminAccessAssignment (create, 201)',
    schema: schemas.accessAssignment,
    method: 'POST',
    path: `${REL}/${RID}/accessAssignments`,
    status: 201,
    good: { ...assignment, status: 'pending' },
    reads: { status: 'pending', accessContainer: { accessContainerId: '869713c9-0b28-4d08-8949-ae07ae1bf528' } },
    bad: { ...assignment, accessContainer: {} },
    problem: /\(accessContainer\.accessContainerId: expected string, received undefined\)/,
  },
  {
    type: 'delegatedAdminAccessAssignment collection',
    schema: schemas.accessAssignmentPage,
    method: 'GET',
    path: `${REL}/${RID}/accessAssignments`,
    good: page(assignment, { ...assignment, id: 'x', accessContainer: { accessContainerId: 'y', accessContainerType: 'someFutureContainer' } }),
    reads: { value: [{ status: 'active' }, { accessContainer: { accessContainerType: 'someFutureContainer' } }] },
    bad: page({ ...assignment, status: undefined }),
    problem: /\(value\[0\]\.status: expected string, received undefined\)/,
  },
  {
    type: 'delegatedAdminRelationshipOperation',
    schema: schemas.relationshipOperation,
    method: 'GET',
    path: `${REL}/${RID}/operations/${operation.id}`,
    good: operation,
    reads: { status: 'running' },
    bad: { ...operation, operationType: undefined },
    problem: /\(operationType: expected string, received undefined\)/,
  },
  {
    type: 'group (create, 201)',
    schema: schemas.group,
    method: 'POST',
    path: '/groups',
    status: 201,
    good: group,
    reads: { id: group.id, mailNickname: group.mailNickname },
    bad: { ...group, securityEnabled: 'yes' },
    problem: /\(securityEnabled: expected boolean, received string\)/,
  },
  {
    type: 'group collection',
    schema: schemas.groupPage,
    method: 'GET',
    path: '/groups',
    good: page({ id: group.id, displayName: 'AdminAgents' }),
    reads: { value: [{ displayName: 'AdminAgents' }] },
    bad: page({ displayName: 'AdminAgents' }),
    problem: /\(value\[0\]\.id: expected string, received undefined\)/,
  },
  {
    type: 'directoryObject collection (group members: users and other derived types)',
    schema: schemas.directoryObjectPage,
    method: 'GET',
    path: `/groups/${group.id}/members`,
    good: page(member, { '@odata.type': '#microsoft.graph.servicePrincipal', id: 'c9d0e1f2-0000-4000-8000-000000000001', appId: 'x' }),
    reads: { value: [{ userPrincipalName: 'AdeleV@contoso.com' }, { '@odata.type': '#microsoft.graph.servicePrincipal' }] },
    bad: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#directoryObjects' },
    problem: /\(value: expected array, received undefined\)/,
  },
  {
    type: 'user (create, 201)',
    schema: schemas.user,
    method: 'POST',
    path: '/users',
    status: 201,
    good: user,
    reads: { id: user.id, userPrincipalName: user.userPrincipalName },
    bad: { ...user, id: 42 },
    problem: /\(id: expected string, received number\)/,
  },
  {
    type: 'user collection',
    schema: schemas.userPage,
    method: 'GET',
    path: '/users',
    good: page(user),
    reads: { value: [{ id: user.id }] },
    bad: page({ ...user, userPrincipalName: ['a'] }),
    problem: /\(value\[0\]\.userPrincipalName: expected string, received array\)/,
  },
  {
    type: 'unifiedRoleAssignment (create, 201)',
    schema: schemas.roleAssignment,
    method: 'POST',
    path: '/roleManagement/directory/roleAssignments',
    status: 201,
    good: roleAssignment,
    reads: { principalId: roleAssignment.principalId },
    bad: { ...roleAssignment, principalId: undefined },
    problem: /\(principalId: expected string, received undefined\)/,
  },
  {
    type: 'unifiedRoleAssignment collection',
    schema: schemas.roleAssignmentPage,
    method: 'GET',
    path: '/roleManagement/directory/roleAssignments',
    good: page(roleAssignment),
    reads: { value: [{ roleDefinitionId: roleAssignment.roleDefinitionId }] },
    bad: page({ ...roleAssignment, roleDefinitionId: undefined }),
    problem: /\(value\[0\]\.roleDefinitionId: expected string, received undefined\)/,
  },
  {
    type: 'domain (create, 201)',
    schema: schemas.domain,
    method: 'POST',
    path: '/domains',
    status: 201,
    good: domain,
    reads: { id: 'contoso.com', isVerified: false },
    bad: { ...domain, isVerified: 'false' },
    problem: /\(isVerified: expected boolean, received string\)/,
  },
  {
    type: 'domain (verify, 200)',
    schema: schemas.domain,
    method: 'POST',
    path: '/domains/contoso.com/verify',
    good: { ...domain, isVerified: true },
    reads: { isVerified: true },
    bad: { id: 'contoso.com' },
    problem: /\(isVerified: expected boolean, received undefined; and 1 more\)/,
  },
  {
    type: 'domain collection',
    schema: schemas.domainPage,
    method: 'GET',
    path: '/domains',
    good: page({ ...domain, id: 'contoso.onmicrosoft.com', isInitial: true, isVerified: true }, domain),
    reads: { value: [{ isInitial: true }, { id: 'contoso.com' }] },
    bad: page({ ...domain, isInitial: null }),
    problem: /\(value\[0\]\.isInitial: expected boolean, received null\)/,
  },
  {
    type: 'domainDnsRecord collection (verificationDnsRecords: Txt and Mx)',
    schema: schemas.domainDnsRecordPage,
    method: 'GET',
    path: '/domains/contoso.com/verificationDnsRecords',
    good: page(dnsTxt, dnsMx),
    reads: { value: [{ recordType: 'Txt', text: 'MS=ms75528557' }, { recordType: 'Mx', preference: 32767 }] },
    bad: page({ ...dnsTxt, ttl: '3600' }),
    problem: /\(value\[0\]\.ttl: expected number, received string\)/,
  },
  {
    type: 'contract collection',
    schema: schemas.contractPage,
    method: 'GET',
    path: '/contracts',
    good: page(contract, { ...contract, customerId: 'b1c2d3e4-0000-4000-8000-000000000002', defaultDomainName: null }),
    reads: { value: [{ customerId: GUID }, { defaultDomainName: null }] },
    bad: page({ ...contract, customerId: undefined }),
    problem: /\(value\[0\]\.customerId: expected string, received undefined\)/,
  },
  {
    type: 'tenantInformation (findTenantInformationByDomainName)',
    schema: schemas.tenantInformation,
    method: 'GET',
    path: "/tenantRelationships/findTenantInformationByDomainName(domainName='contoso.com')",
    good: tenantInformation,
    reads: { tenantId: GUID },
    bad: { ...tenantInformation, tenantId: null },
    problem: /\(tenantId: expected string, received null\)/,
  },
  {
    type: 'Partner Center Customer (get by id)',
    schema: schemas.partnerCenterCustomer,
    service: 'partnerCenter',
    method: 'GET',
    path: `/v1/customers/${GUID}`,
    good: customer,
    reads: { allowDelegatedAccess: true },
    bad: { ...customer, allowDelegatedAccess: 'true' },
    problem: /\(allowDelegatedAccess: expected boolean, received string\)/,
  },
  {
    type: 'privilegedAccessGroupEligibilityScheduleRequest (create)',
    schema: pimSchemas.scheduleRequest,
    method: 'POST',
    path: '/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests',
    status: 201,
    good: { id: '1', status: 'Provisioned', action: 'adminAssign', accessId: 'member', groupId: GUID, principalId: GUID, createdDateTime: '2026-03-01T09:00:00Z' },
    reads: { status: 'Provisioned' },
    bad: { id: '1', action: 'adminAssign' },
    problem: /\(status: expected string, received undefined\)/,
  },
  {
    type: 'privilegedAccessGroupAssignmentScheduleRequest collection',
    schema: pimSchemas.scheduleRequestPage,
    method: 'GET',
    path: '/identityGovernance/privilegedAccess/group/assignmentScheduleRequests',
    good: page({ id: '2', status: 'PendingApproval', action: 'selfActivate', groupId: GUID, principalId: GUID }),
    reads: { value: [{ status: 'PendingApproval' }] },
    bad: page({ id: 2, status: 'PendingApproval' }),
    problem: /\(value\[0\]\.id: expected string, received number\)/,
  },
  {
    type: 'unifiedRoleManagementPolicyAssignment collection (policy and rules expanded)',
    schema: pimSchemas.policyAssignmentPage,
    method: 'GET',
    path: '/policies/roleManagementPolicyAssignments',
    good: page({ id: 'a', scopeId: GUID, scopeType: 'Group', roleDefinitionId: 'member', policy: { id: 'p', rules: [{ '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule', id: 'Expiration_EndUser_Assignment', maximumDuration: 'PT8H' }] } }),
    reads: { value: [{ policy: { rules: [{ maximumDuration: 'PT8H' }] } }] },
    bad: page({ id: 'a', policy: { id: 'p', rules: [{ id: 'x', maximumDuration: 8 }] } }),
    problem: /\(value\[0\]\.policy\.rules\[0\]\.maximumDuration: expected string, received number\)/,
  },
];

function serve(status: number, body: unknown): void {
  lb.handle = (_req, res) => json(res, status, body);
}

describe('one schema per response type: the documented shape is read, another is an error of that request', () => {
  for (const c of CASES) {
    const service = c.service ?? 'graph';
    const send = () => testClient(lb).client.request({ service, method: c.method, path: c.path, schema: c.schema, body: c.method === 'GET' ? undefined : {} });

    it(`${c.type}: read`, async () => {
      serve(c.status ?? 200, c.good);
      const reply = await send();
      expect(reply.body).toMatchObject(c.reads as object);
      // And the route table gives the executor this same schema for this request.
      expect(schemas.answerSchemaFor(service, c.method, c.path)).toBe(c.schema);
    });

    it(`${c.type}: not the documented shape -> MalformedAnswerError naming the request`, async () => {
      serve(c.status ?? 200, c.bad);
      const e = await failure(send());
      expect(e).toBeInstanceOf(MalformedAnswerError);
      const name = service === 'graph' ? 'Microsoft Graph' : 'Partner Center';
      expect(e.message.startsWith(`${name} answered ${c.status ?? 200} to ${c.method} ${c.path} with an answer that is not the documented shape (`)).toBe(true);
      expect(e.message).toMatch(c.problem);
      // A change Microsoft answered 2xx was made: the caller can tell, and reads it back.
      expect(e).toMatchObject({ doneAtMicrosoft: c.method !== 'GET', exitCode: 1, code: 'microsoft' });
      expect(e.message).toContain(c.method === 'GET' ? 'nothing was taken from it' : 'the change was made at Microsoft, but this answer cannot be used to record it');
    });
  }
});

describe('answers that are not answers', () => {
  it('a page cut short (not JSON) is an error, never an empty page', async () => {
    serve(200, '{"@odata.context":"x","value":[{"id":"87d349ed-44d7-43e1-9a83-5f2406dee5bd","userPrincipalName":"a@contoso.com"},{"id":"87d');
    const pages: unknown[] = [];
    const e = await failure(
      (async () => {
        for await (const p of testClient(lb).client.pages(`/groups/${group.id}/members`, schemas.directoryObjectPage)) pages.push(p);
      })(),
    );
    expect(pages).toEqual([]);
    expect(e).toBeInstanceOf(MalformedAnswerError);
    expect(e.message).toMatch(new RegExp(`^Microsoft Graph answered 200 to GET /groups/${group.id}/members with an answer that is not the documented shape \\(not JSON: .*\\): nothing was taken from it$`));
  });

  it('an empty 200 to a read is an error; a 204 or an empty 202 to a change needs no body', async () => {
    serve(200, '');
    expect(await failure(testClient(lb).client.get('/contracts', schemas.contractPage))).toMatchObject({ reason: 'no body', doneAtMicrosoft: false });
    lb.handle = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    const c = testClient(lb).client;
    expect(await c.request({ method: 'DELETE', path: `/groups/${group.id}`, schema: schemas.noContent })).toMatchObject({ status: 204, body: undefined });
    expect(await failure(c.get(`/groups/${group.id}`, schemas.group))).toMatchObject({ reason: 'no body' });
    lb.handle = (_req, res) => {
      res.writeHead(202, { Location: `https://graph.microsoft.com/v1.0${REL}/${RID}/operations/${operation.id}`, 'Retry-After': '10' });
      res.end();
    };
    // delegatedadminaccessassignment-update: "typically returns a 202 Accepted ... with a URL to a long-running operation in the Location".
    const reply = await c.request({ method: 'PATCH', path: `${REL}/${RID}/accessAssignments/${assignment.id}`, body: {}, schema: schemas.accessAssignment });
    expect(reply).toMatchObject({ status: 202, body: undefined, headers: { location: expect.stringContaining('/operations/') } });
  });

  it('a change answered 201 with an empty body: done at Microsoft, but nothing to record from it', async () => {
    serve(201, '');
    const e = await failure(testClient(lb).client.post('/groups', { displayName: 'x' }, schemas.group));
    expect(e).toMatchObject({ reason: 'no body', doneAtMicrosoft: true, status: 201, method: 'POST', path: '/groups' });
  });

  it('a leading byte order mark is ignored (RFC 8259 §8.1 lets a parser ignore it)', async () => {
    serve(200, `\ufeff${JSON.stringify(customer)}`);
    await expect(testClient(lb).client.get(`/v1/customers/${GUID}`, schemas.partnerCenterCustomer, { service: 'partnerCenter' })).resolves.toMatchObject({ allowDelegatedAccess: true });
  });

  it('an answer larger than the limit is an error, and is not read to its end', async () => {
    serve(200, JSON.stringify(page(...Array.from({ length: 2000 }, () => user))));
    const e = await failure(testClient(lb, { maxBodyBytes: 10_000 }).client.get('/users', schemas.userPage));
    expect(e).toMatchObject({ reason: 'larger than 10000 bytes' });
  });
});

describe('every request the tool plans has an answer schema', () => {
  const cloud = 'global' as const;
  const G = '45b7d2e7-b882-4a80-ba97-10b7a63b8fa4';
  const plans: PlannedRequest[][] = [
    planCreateRelationships(cloud, [{ displayName: 'A', duration: 'P730D', autoExtendDuration: 'P180D', roles: [GUID] }]),
    rel.planExtend(cloud, [RID], 'P180D'),
    rel.planRemoveRole(cloud, [{ id: RID, roles: [GUID] }]),
    rel.planTerminate(cloud, [RID]),
    rel.planUnassign(cloud, RID, assignment.id, [GUID]),
    rel.planUnassign(cloud, RID, assignment.id, []),
    [rel.createAccessAssignment(cloud, 'assign', RID, G, [GUID])],
    rel.planRemoveDap(cloud, 'contoso.com', null),
    dir.planAddUsers(cloud, [{ upn: 'a@contoso.com', name: 'A', isAdmin: true, password: 'p' }]),
    [dir.resetPassword(cloud, 'reset', 'a@contoso.com', 'p'), dir.deleteUser(cloud, 'delete', 'a@contoso.com'), dir.listUsers(cloud)],
    [dir.addDomain(cloud, 'domain', 'contoso.com'), dir.deleteDomain(cloud, 'undomain', 'contoso.com'), dir.listDomains(cloud)],
    dir.planVerifyDomain(cloud, 'contoso.com'),
    [grp.createSecurityGroup(cloud, 'group', 'Helpdesk', 'dlg-6c3a2f0e-1b2d-4e5f-8a9b-0c1d2e3f4a5b'), grp.deleteGroup(cloud, 'ungroup', G, 'Helpdesk')],
    grp.planAddMembers(cloud, G, ['a@contoso.com']),
    grp.planRemoveMembers(cloud, G, ['a@contoso.com']),
    pim.planEligibility(cloud, G, ['a@contoso.com'], '2026-03-01T09:00:00Z', '2027-03-01T09:00:00Z'),
    pim.planSelf(cloud, 'selfActivate', G, 'a@contoso.com', { start: '2026-03-01T09:00:00Z', duration: 'PT1H', justification: 'x' }),
    [pim.groupPolicyRead(cloud, 'policy', G), pim.transitiveMembersRead(cloud, 'members', G), pim.groupEligibilityRead(cloud, 'eligible', G), pim.assignmentsRead(cloud, 'as', RID), pim.groupRead(cloud, 'g', G), pim.userByIdRead(cloud, 'u', G)],
  ];

  it('for each kind of request built in src/domain/plan (a missing one would fail live, not silently read nothing)', () => {
    const kinds = new Set<string>();
    for (const plan of plans) {
      for (const e of planJson(plan)) {
        const { service, path } = routeOf(cloud, e.url.replace(/\$\{[^}]*\}/g, 'x'));
        expect(() => schemas.answerSchemaFor(service, e.method, path)).not.toThrow();
        kinds.add(`${e.method} ${path.replace(/[0-9a-f-]{36,}|contoso\.com|a%40contoso\.com|x/g, '{}')}`);
      }
    }
    expect(kinds.size).toBeGreaterThanOrEqual(22);
    expect(() => schemas.answerSchemaFor('graph', 'GET', '/me')).toThrow('no answer schema for graph GET /me');
  });
});
