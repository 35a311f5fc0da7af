/**
 * Microsoft Graph v1.0 requests that would do, in the client's real tenant,
 * what an acting command does in the store (`--plan graph`). Shapes follow
 * Microsoft Graph's documentation: user (POST /users, PATCH /users/{upn}),
 * domain (POST /domains), unifiedRoleAssignment.
 */
import type { Cloud } from './model.js';

export interface GraphRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body: unknown;
}

export const GRAPH_HOSTS: Record<Cloud, string> = {
  global: 'https://graph.microsoft.com/v1.0',
  china: 'https://microsoftgraph.chinacloudapi.cn/v1.0',
};

export const GLOBAL_ADMINISTRATOR_ROLE_ID = '62e90394-69f5-4237-9190-012177145e10';

const seg = (s: string) => encodeURIComponent(s);

export function graphCreateUser(cloud: Cloud, u: { upn: string; name: string; isAdmin: boolean; password: string }): GraphRequest[] {
  const base = GRAPH_HOSTS[cloud];
  const requests: GraphRequest[] = [
    {
      method: 'POST',
      url: `${base}/users`,
      body: {
        accountEnabled: true,
        displayName: u.name,
        mailNickname: u.upn.slice(0, u.upn.indexOf('@')).replace(/[^A-Za-z0-9._-]/g, ''),
        userPrincipalName: u.upn,
        passwordProfile: { forceChangePasswordNextSignIn: true, password: u.password },
      },
    },
  ];
  if (u.isAdmin) {
    requests.push({
      method: 'POST',
      url: `${base}/roleManagement/directory/roleAssignments`,
      body: {
        '@odata.type': '#microsoft.graph.unifiedRoleAssignment',
        roleDefinitionId: GLOBAL_ADMINISTRATOR_ROLE_ID,
        principalId: `{id of ${u.upn}, from the response to the POST /users}`,
        directoryScopeId: '/',
      },
    });
  }
  return requests;
}

export function graphResetPassword(cloud: Cloud, upn: string, password: string): GraphRequest[] {
  return [
    {
      method: 'PATCH',
      url: `${GRAPH_HOSTS[cloud]}/users/${seg(upn)}`,
      body: { passwordProfile: { forceChangePasswordNextSignIn: true, password } },
    },
  ];
}

export function graphAddDomain(cloud: Cloud, name: string): GraphRequest[] {
  return [{ method: 'POST', url: `${GRAPH_HOSTS[cloud]}/domains`, body: { id: name } }];
}

export function graphListUsers(cloud: Cloud): GraphRequest[] {
  return [{ method: 'GET', url: `${GRAPH_HOSTS[cloud]}/users?$select=userPrincipalName,displayName,id`, body: null }];
}

export function graphListDomains(cloud: Cloud): GraphRequest[] {
  return [{ method: 'GET', url: `${GRAPH_HOSTS[cloud]}/domains`, body: null }];
}
