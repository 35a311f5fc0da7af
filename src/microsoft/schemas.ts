/**
 * The shape of every answer delegate reads from Microsoft, one schema per
 * response type Microsoft documents for the calls the tool makes, each next to
 * its resource page. The HTTP client validates every 2xx answer with the
 * schema its caller names (SPEC "Live mode, exactly once" > "Answers are
 * checked"): an answer that does not fit is an error of that request, never
 * an empty page.
 *
 * How strict:
 * - Required: what Microsoft documents as always there and delegate relies on
 *   (an `id`; a relationship's status; a page's `value`). Everything else is
 *   optional, and `null` where Microsoft documents it nullable (a `$select`
 *   leaves properties out).
 * - Unknown properties pass (Microsoft adds properties; `@odata.*`
 *   annotations), so do derived types (an item of a collection may be a
 *   subtype with more properties: a relationship list "can also include one
 *   or more resellerDelegatedAdminRelationship objects").
 * - Enums are evolvable (https://learn.microsoft.com/graph/best-practices-concept#handling-future-members-in-evolvable-enumerations):
 *   a member Microsoft adds later passes as a string; the documented members
 *   are listed in the type.
 * - Types are checked, not formats: a date-time is a string (Graph writes up
 *   to seven fractional digits), an id a string.
 *
 * zod/mini (as src/cli/schema.ts), so the bundle carries one zod.
 */
import * as z from 'zod/mini';
import { PIM_ROUTES } from './pim-schemas.js';

/** A schema for a 2xx answer's body (the JSON value, or undefined when the body is empty). */
export type Schema<T> = z.ZodMiniType<T>;

/** A string enum Microsoft may extend: the members it documents, and any other string. */
function evolvable<const T extends readonly string[]>(_documented: T): Schema<T[number] | (string & {})> {
  return z.string() as Schema<T[number] | (string & {})>;
}

const str = z.string();
const optStr = z.optional(z.string());
const nullStr = z.nullish(z.string());
const nullBool = z.nullish(z.boolean());

/** `@odata.type` and `@odata.etag` on an entity (annotations: https://learn.microsoft.com/graph/api/overview, OData JSON format). */
const annotations = { '@odata.type': optStr, '@odata.etag': nullStr };

/**
 * A page of a Graph collection: `value` (an array, required, possibly empty:
 * "A page of results may contain zero or more results") and
 * `@odata.nextLink` when there are more (https://learn.microsoft.com/graph/paging).
 */
export function pageOf<T>(item: Schema<T>) {
  return z.looseObject({ value: z.array(item), '@odata.nextLink': optStr, '@odata.count': z.optional(z.number()) });
}

export interface Page<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

/** Roles of a relationship or an assignment: https://learn.microsoft.com/graph/api/resources/delegatedadminaccessdetails. */
const accessDetails = z.looseObject({ unifiedRoles: z.array(z.looseObject({ roleDefinitionId: str })) });

// ---------------------------------------------------------------- GDAP (tenantRelationships)

/** https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship ("delegatedAdminRelationshipStatus values"). */
export const RELATIONSHIP_STATUSES = [
  'activating',
  'active',
  'approvalPending',
  'approved',
  'created',
  'expired',
  'expiring',
  'terminated',
  'terminating',
  'terminationRequested',
  'unknownFutureValue',
] as const;

/**
 * delegatedAdminRelationship: https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship
 * (id, displayName, duration and status always there; customer is a
 * delegatedAdminRelationshipCustomerParticipant, https://learn.microsoft.com/graph/api/resources/delegatedadminrelationshipcustomerparticipant).
 * Its derived type resellerDelegatedAdminRelationship
 * (https://learn.microsoft.com/graph/api/resources/resellerdelegatedadminrelationship) adds
 * indirectProviderTenantId and isPartnerConsentPending.
 * Answer of create (201), get (200) and update (200; a 202 has no body):
 * tenantrelationship-post-delegatedadminrelationships, delegatedadminrelationship-get, delegatedadminrelationship-update.
 */
export const relationship = z.looseObject({
  ...annotations,
  id: str,
  displayName: str,
  duration: str,
  status: evolvable(RELATIONSHIP_STATUSES),
  autoExtendDuration: nullStr,
  customer: z.nullish(z.looseObject({ tenantId: nullStr, displayName: nullStr })),
  accessDetails: z.nullish(accessDetails),
  createdDateTime: nullStr,
  lastModifiedDateTime: nullStr,
  activatedDateTime: nullStr,
  endDateTime: nullStr,
  indirectProviderTenantId: nullStr,
  isPartnerConsentPending: nullBool,
});

/** https://learn.microsoft.com/graph/api/tenantrelationship-list-delegatedadminrelationships (may hold resellerDelegatedAdminRelationship items). */
export const relationshipPage = pageOf(relationship);

/**
 * delegatedAdminRelationshipRequest: https://learn.microsoft.com/graph/api/resources/delegatedadminrelationshiprequest
 * (action: lockForApproval, approve, terminate, unknownFutureValue, reject; status: created, pending,
 * succeeded, failed, unknownFutureValue; the list page's own example shows "running", so unknown members pass).
 * Answer of delegatedadminrelationship-post-requests (201).
 */
export const relationshipRequest = z.looseObject({
  ...annotations,
  id: str,
  action: evolvable(['lockForApproval', 'approve', 'terminate', 'unknownFutureValue', 'reject'] as const),
  status: evolvable(['created', 'pending', 'succeeded', 'failed', 'unknownFutureValue'] as const),
  createdDateTime: nullStr,
  lastModifiedDateTime: nullStr,
});

/** https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-requests */
export const relationshipRequestPage = pageOf(relationshipRequest);

/**
 * delegatedAdminAccessAssignment: https://learn.microsoft.com/graph/api/resources/delegatedadminaccessassignment
 * (accessContainer: https://learn.microsoft.com/graph/api/resources/delegatedadminaccesscontainer, type
 * securityGroup or unknownFutureValue; status: pending, active, deleting, deleted, error, unknownFutureValue).
 * Answer of delegatedadminrelationship-post-accessassignments (201), delegatedadminaccessassignment-get,
 * delegatedadminaccessassignment-update (200; "typically" 202 with no body).
 */
export const accessAssignment = z.looseObject({
  ...annotations,
  id: str,
  status: evolvable(['pending', 'active', 'deleting', 'deleted', 'error', 'unknownFutureValue'] as const),
  accessContainer: z.looseObject({ accessContainerId: str, accessContainerType: z.optional(evolvable(['securityGroup', 'unknownFutureValue'] as const)) }),
  accessDetails,
  createdDateTime: nullStr,
  lastModifiedDateTime: nullStr,
});

/** https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-accessassignments */
export const accessAssignmentPage = pageOf(accessAssignment);

/**
 * delegatedAdminRelationshipOperation (what a 202's Location names):
 * https://learn.microsoft.com/graph/api/resources/delegatedadminrelationshipoperation
 * (operationType: delegatedAdminAccessAssignmentUpdate, unknownFutureValue, delegatedAdminRelationshipUpdate;
 * status, a longRunningOperationStatus: notStarted, running, succeeded, failed, unknownFutureValue).
 */
export const relationshipOperation = z.looseObject({
  ...annotations,
  id: str,
  operationType: evolvable(['delegatedAdminAccessAssignmentUpdate', 'unknownFutureValue', 'delegatedAdminRelationshipUpdate'] as const),
  status: evolvable(['notStarted', 'running', 'succeeded', 'failed', 'unknownFutureValue'] as const),
  data: nullStr,
  createdDateTime: nullStr,
  lastModifiedDateTime: nullStr,
});

/** https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-operations */
export const relationshipOperationPage = pageOf(relationshipOperation);

/**
 * tenantInformation: https://learn.microsoft.com/graph/api/resources/tenantinformation
 * (tenantId, displayName, defaultDomainName, federationBrandName), the answer of
 * https://learn.microsoft.com/graph/api/tenantrelationship-findtenantinformationbydomainname.
 */
export const tenantInformation = z.looseObject({
  tenantId: str,
  displayName: nullStr,
  defaultDomainName: nullStr,
  federationBrandName: nullStr,
});

/**
 * contract: https://learn.microsoft.com/graph/api/resources/contract (id, contractType, customerId,
 * defaultDomainName, displayName; the last two are copies made when the partnership was established).
 * Pages of https://learn.microsoft.com/graph/api/contract-list.
 */
export const contract = z.looseObject({ ...annotations, id: optStr, contractType: nullStr, customerId: str, defaultDomainName: nullStr, displayName: nullStr });
export const contractPage = pageOf(contract);

// ---------------------------------------------------------------- directory: users, groups, roles, domains

/**
 * user: https://learn.microsoft.com/graph/api/resources/user. Only `id` is always there
 * (the tool reads users with `$select`); userPrincipalName, displayName and mail are
 * strings (mail nullable). Answer of user-post-users (201) and user-get; pages of user-list.
 */
export const user = z.looseObject({ ...annotations, id: str, userPrincipalName: nullStr, displayName: nullStr, mail: nullStr, accountEnabled: nullBool });
export const userPage = pageOf(user);

/**
 * group: https://learn.microsoft.com/graph/api/resources/group (id always; the rest as selected).
 * Answer of group-post-groups (201); pages of group-list.
 */
export const group = z.looseObject({
  ...annotations,
  id: str,
  displayName: nullStr,
  mailNickname: nullStr,
  mailEnabled: nullBool,
  securityEnabled: nullBool,
  groupTypes: z.nullish(z.array(str)),
});
export const groupPage = pageOf(group);

/**
 * directoryObject: https://learn.microsoft.com/graph/api/resources/directoryobject (id; the item of a
 * group's members list is a derived type named by `@odata.type`: a user, a group, a device, a service
 * principal, an organizational contact). userPrincipalName is a user's, mail a user's or group's.
 * Pages of https://learn.microsoft.com/graph/api/group-list-members.
 */
export const directoryObject = z.looseObject({ ...annotations, id: str, userPrincipalName: nullStr, mail: nullStr, displayName: nullStr });
export const directoryObjectPage = pageOf(directoryObject);

/**
 * unifiedRoleAssignment: https://learn.microsoft.com/graph/api/resources/unifiedroleassignment
 * (id, roleDefinitionId, principalId, directoryScopeId, appScopeId). Answer of
 * rbacapplication-post-roleassignments (201); pages of rbacapplication-list-roleassignments.
 */
export const roleAssignment = z.looseObject({ ...annotations, id: str, roleDefinitionId: str, principalId: str, directoryScopeId: nullStr, appScopeId: nullStr });
export const roleAssignmentPage = pageOf(roleAssignment);

/**
 * domain: https://learn.microsoft.com/graph/api/resources/domain (id "The fully qualified name of the
 * domain. Key, immutable, not nullable, unique"; isDefault, isInitial, isRoot, isVerified "Not nullable").
 * Answer of domain-post-domains (201), domain-get, domain-verify (200); pages of domain-list.
 */
export const domain = z.looseObject({
  ...annotations,
  id: str,
  isVerified: z.boolean(),
  isInitial: z.boolean(),
  isDefault: z.optional(z.boolean()),
  isRoot: z.optional(z.boolean()),
  isAdminManaged: z.optional(z.boolean()),
  authenticationType: nullStr,
  supportedServices: z.nullish(z.array(str)),
});
export const domainPage = pageOf(domain);

/**
 * domainDnsRecord: https://learn.microsoft.com/graph/api/resources/domaindnsrecord (id, isOptional,
 * label, recordType, supportedService, ttl); its derived types add their own fields: a
 * domainDnsTxtRecord its `text` (https://learn.microsoft.com/graph/api/resources/domaindnstxtrecord), a
 * domainDnsMxRecord `mailExchange` and `preference` (https://learn.microsoft.com/graph/api/resources/domaindnsmxrecord).
 * Pages of https://learn.microsoft.com/graph/api/domain-list-verificationdnsrecords.
 */
export const domainDnsRecord = z.looseObject({
  ...annotations,
  id: optStr,
  isOptional: nullBool,
  label: str,
  recordType: str,
  supportedService: nullStr,
  ttl: z.number(),
  text: nullStr,
  mailExchange: nullStr,
  preference: z.nullish(z.number()),
});
export const domainDnsRecordPage = pageOf(domainDnsRecord);

// ---------------------------------------------------------------- Partner Center

/**
 * Partner Center's Customer: https://learn.microsoft.com/partner-center/developer/customer-resources#customer
 * (id, commerceId, companyProfile, relationshipToPartner, allowDelegatedAccess, attributes);
 * allowDelegatedAccess "is only available when getting a customer by ID"
 * (https://learn.microsoft.com/partner-center/developer/get-a-customer-by-id).
 */
export const partnerCenterCustomer = z.looseObject({
  id: str,
  commerceId: nullStr,
  companyProfile: z.nullish(z.looseObject({ tenantId: nullStr, domain: nullStr, companyName: nullStr })),
  relationshipToPartner: nullStr,
  allowDelegatedAccess: nullBool,
});

// ---------------------------------------------------------------- $batch and answers with nothing to read

/**
 * The `$batch` answer: `responses`, one per request, each with its `id`, `status`, `headers` and
 * `body` (https://learn.microsoft.com/graph/json-batching, "Response format"). A part's body is
 * checked with that part's own schema.
 */
export const batchEnvelope = z.looseObject({
  responses: z.array(
    z.looseObject({
      id: str,
      status: z.int(),
      headers: z.nullish(z.record(z.string(), z.unknown())),
      body: z.optional(z.unknown()),
    }),
  ),
  '@odata.nextLink': optStr,
});

/**
 * An answer delegate takes nothing from: what Microsoft documents as 204 No Content (a
 * delete, a member added by `$ref`, a user updated), which any body satisfies.
 */
export const noContent: Schema<unknown> = z.unknown();

/**
 * An answer Microsoft does not document: Partner Center's remove-dap PATCH says
 * only "HTTP/1.1 200 OK" (https://learn.microsoft.com/partner-center/developer/remove-dap).
 * It must still be JSON (or empty); nothing is taken from it.
 */
export const undocumented: Schema<unknown> = z.unknown();

// ---------------------------------------------------------------- which schema answers which request

type Route = [method: string, pattern: RegExp, schema: Schema<unknown>];

const ID = "[^/?()]+";
const REL = '/tenantRelationships/delegatedAdminRelationships';
const r = (s: string) => new RegExp(`^${s.replace(/\$/g, '\\$')}$`);

/** Graph: the path after the version, without its query. */
const GRAPH_ROUTES: Route[] = [
  ['POST', r(REL), relationship],
  ['GET', r(REL), relationshipPage],
  ['GET', r(`${REL}/${ID}`), relationship],
  ['PATCH', r(`${REL}/${ID}`), relationship],
  ['DELETE', r(`${REL}/${ID}`), noContent],
  ['POST', r(`${REL}/${ID}/requests`), relationshipRequest],
  ['GET', r(`${REL}/${ID}/requests`), relationshipRequestPage],
  ['GET', r(`${REL}/${ID}/requests/${ID}`), relationshipRequest],
  ['POST', r(`${REL}/${ID}/accessAssignments`), accessAssignment],
  ['GET', r(`${REL}/${ID}/accessAssignments`), accessAssignmentPage],
  ['GET', r(`${REL}/${ID}/accessAssignments/${ID}`), accessAssignment],
  ['PATCH', r(`${REL}/${ID}/accessAssignments/${ID}`), accessAssignment],
  ['DELETE', r(`${REL}/${ID}/accessAssignments/${ID}`), noContent],
  ['GET', r(`${REL}/${ID}/operations`), relationshipOperationPage],
  ['GET', r(`${REL}/${ID}/operations/${ID}`), relationshipOperation],
  ['GET', /^\/tenantRelationships\/findTenantInformationByDomainName\(domainName='[^/]*'\)$/, tenantInformation],
  ['POST', r('/users'), user],
  ['GET', r('/users'), userPage],
  ['GET', r(`/users/${ID}`), user],
  ['PATCH', r(`/users/${ID}`), noContent],
  ['DELETE', r(`/users/${ID}`), noContent],
  ['POST', r('/roleManagement/directory/roleAssignments'), roleAssignment],
  ['GET', r('/roleManagement/directory/roleAssignments'), roleAssignmentPage],
  ['POST', r('/domains'), domain],
  ['GET', r('/domains'), domainPage],
  ['GET', r(`/domains/${ID}`), domain],
  ['DELETE', r(`/domains/${ID}`), noContent],
  ['GET', r(`/domains/${ID}/verificationDnsRecords`), domainDnsRecordPage],
  ['POST', r(`/domains/${ID}/verify`), domain],
  ['POST', r('/groups'), group],
  ['GET', r('/groups'), groupPage],
  ['GET', r(`/groups/${ID}`), group],
  ['DELETE', r(`/groups/${ID}`), noContent],
  ['GET', r(`/groups/${ID}/members`), directoryObjectPage],
  // https://learn.microsoft.com/graph/api/group-list-transitivemembers (directoryObject items)
  ['GET', r(`/groups/${ID}/transitiveMembers`), directoryObjectPage],
  ['POST', r(`/groups/${ID}/members/$ref`), noContent],
  ['DELETE', r(`/groups/${ID}/members/${ID}/$ref`), noContent],
  ['GET', r('/contracts'), contractPage],
  ...PIM_ROUTES,
];

/** Partner Center: the path from the root (`/v1/customers/{id}`). */
const PARTNER_CENTER_ROUTES: Route[] = [
  ['GET', r(`/v1/customers/${ID}`), partnerCenterCustomer],
  ['PATCH', r(`/v1/customers/${ID}`), undocumented],
];

/**
 * The schema of the answer to a request the tool builds (the live executor
 * sends planned requests through this). A request with no route is a bug in
 * the tool: every planned request must have one (test/microsoft/schemas.test.ts).
 */
export function answerSchemaFor(service: 'graph' | 'partnerCenter', method: string, path: string): Schema<unknown> {
  const bare = path.split('?')[0]!.replace(/\/+$/, '');
  const routes = service === 'graph' ? GRAPH_ROUTES : PARTNER_CENTER_ROUTES;
  const found = routes.find(([m, p]) => m === method && p.test(bare));
  if (!found) throw new Error(`no answer schema for ${service} ${method} ${bare}`);
  return found[2];
}

/**
 * zod's first problem with `input`, in words: `value[3].id: expected string, received number`.
 * (zod/mini carries no messages of its own: the words are made here from the issue.)
 */
export function firstProblem(error: { issues: readonly { code: string; path: readonly PropertyKey[]; message: string; expected?: unknown }[] }, input: unknown): string {
  const issue = error.issues[0];
  if (!issue) return 'not the documented shape';
  const path = issue.path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
  const found = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
  const what = issue.code === 'invalid_type' ? `expected ${String(issue.expected)}, received ${kindOf(found)}` : issue.message;
  const more = error.issues.length > 1 ? `; and ${error.issues.length - 1} more` : '';
  return `${path || 'the answer'}: ${what}${more}`;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export type Relationship = z.output<typeof relationship>;
export type AccessAssignment = z.output<typeof accessAssignment>;
