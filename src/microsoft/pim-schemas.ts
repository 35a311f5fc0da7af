/**
 * The answers of PIM for Groups (schemas.ts's rules: required what delegate relies on, unknown
 * properties and enum members pass), and their routes, which schemas.ts's Graph table includes.
 */
import * as z from 'zod/mini';

/** A page of a Graph collection (as schemas.ts pageOf; kept here so the two modules import one way). */
const pageOf = <T>(item: z.ZodMiniType<T>) => z.looseObject({ value: z.array(item), '@odata.nextLink': z.optional(z.string()) });
type Schema<T> = z.ZodMiniType<T>;

const str = z.string();
const optStr = z.optional(z.string());
const nullStr = z.nullish(z.string());

/**
 * privilegedAccessGroupEligibilityScheduleRequest and privilegedAccessGroupAssignmentScheduleRequest
 * (https://learn.microsoft.com/graph/api/resources/privilegedaccessgroupeligibilityschedulerequest,
 * resources/privilegedaccessgroupassignmentschedulerequest): id, status (Granted, PendingApproval,
 * Provisioned, ...: resources/privilegedaccessschedule; evolvable), action, the group and principal.
 */
export const scheduleRequest = z.looseObject({
  '@odata.type': optStr,
  id: str,
  status: str,
  action: nullStr,
  accessId: nullStr,
  groupId: nullStr,
  principalId: nullStr,
  createdDateTime: nullStr,
  justification: nullStr,
});
export const scheduleRequestPage = pageOf(scheduleRequest);

/**
 * unifiedRoleManagementPolicyAssignment with its policy and rules expanded
 * (https://learn.microsoft.com/graph/api/resources/unifiedrolemanagementpolicyassignment; rules:
 * resources/unifiedrolemanagementpolicyrule and its derived types, each with `@odata.type`).
 */
const policyRule = z.looseObject({ '@odata.type': optStr, id: str, maximumDuration: nullStr, enabledRules: z.nullish(z.array(str)) });
export const policyAssignmentPage = pageOf(
  z.looseObject({ id: str, scopeId: nullStr, scopeType: nullStr, roleDefinitionId: nullStr, policy: z.nullish(z.looseObject({ id: str, rules: z.nullish(z.array(policyRule)) })) }),
);

const PIM = '/identityGovernance/privilegedAccess/group';
const r = (s: string) => new RegExp(`^${s.replace(/\$/g, '\\$')}$`);

/** Graph routes of PIM for Groups (the path after the version, without its query). */
export const PIM_ROUTES: [method: string, pattern: RegExp, schema: Schema<unknown>][] = [
  ['POST', r(`${PIM}/eligibilityScheduleRequests`), scheduleRequest],
  ['GET', r(`${PIM}/eligibilityScheduleRequests`), scheduleRequestPage],
  ['POST', r(`${PIM}/assignmentScheduleRequests`), scheduleRequest],
  ['GET', r(`${PIM}/assignmentScheduleRequests`), scheduleRequestPage],
  ['GET', r('/policies/roleManagementPolicyAssignments'), policyAssignmentPage],
];
