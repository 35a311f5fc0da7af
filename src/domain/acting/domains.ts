/** Acting for a client: add, verify, list and remove its domains. */
import { appendAudit } from '../core/audit.js';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import { observeFirst, type Carried, type Mode } from '../plan/decision.js';
import { inScope } from '../plan/request.js';
import { carryOut } from '../plan/carry-out.js';
import { addDomain, deleteDomain, listDomains, planVerifyDomain } from '../plan/directory-requests.js';
import type { ClientDomain } from '../core/model.js';
import { nowIso, type Session, clientKey } from '../core/session.js';
import * as v from '../core/validate.js';
import { isInitialDomainName } from '../core/validate.js';
import type { Tx } from '../core/store.js';
import { Acting, acting, authorize, tenantOf, readOnly, removal, clientScope, notAClient } from './standing.js';

/**
 * Why a client's domain cannot be removed, if it cannot: Microsoft's initial
 * domain is never removed; the domain the ledger knows the client by stays
 * while the client does; and a domain is removed only when nothing uses it
 * ("Remove a domain from Microsoft 365", Before you begin: "No users ... use
 * the domain"; https://learn.microsoft.com/en-us/microsoft-365/admin/get-help-with-domains/remove-a-domain;
 * Graph: "Attempts to delete will fail if there are any resources or objects
 * still dependent on the domain", https://learn.microsoft.com/en-us/graph/api/domain-delete).
 * The ledger knows users and subdomains only; Microsoft checks the rest
 * (mailboxes, groups, contacts) when it is asked live.
 */
async function whyDomainStays(tx: Tx, a: Acting, d: ClientDomain): Promise<string | undefined> {
  if (d.isInitial) return `${d.name} is ${a.domain}'s initial domain: Microsoft gives every organization one, and it cannot be removed`;
  if (d.name === a.domain) return `${d.name} is the domain ${a.domain} is recorded under: it stays while the client does (end the relationship with \`delegate client remove ${a.domain}\` instead)`;
  const subs = a.domains.filter((x) => x.name.endsWith(`.${d.name}`)).map((x) => x.name);
  if (subs.length) return `${d.name} has subdomains in ${a.domain} (${subs.join(', ')}): remove them first`;
  const users = (await tx.listClientUsers(a.domain)).filter((u) => u.upn.endsWith(`@${d.name}`)).map((u) => u.upn);
  if (users.length) {
    const shown = users.slice(0, 5).join(', ') + (users.length > 5 ? ` and ${users.length - 5} more` : '');
    return `${users.length} user${users.length === 1 ? '' : 's'} of ${a.domain} sign${users.length === 1 ? 's' : ''} in on ${d.name} (${shown}): remove them first with \`delegate client user remove ${a.domain} <upn>\``;
  }
  return undefined;
}

/** Remove a domain the partner added to a client (live: Graph's DELETE /domains/{name}). */
export async function removeClientDomain(s: Session, domainIn: string, nameIn: string, opts: { mode: Mode }): Promise<Carried<ClientDomain>> {
  const ref = v.clientRef(domainIn);
  const name = v.domain(nameIn, 'domain');
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const target = `${domain}/${name}`;
      authorize(a, 'remove-domain', false, 'client.domain.remove', target);
      if (seen === null) return observeFirst(tenantOf(a), clientScope(a));
      const inTenant = a.domains.find((x) => x.name === name);
      const ledger = (await tx.listClientDomains(domain)).find((x) => x.name === name);
      const d = inTenant ?? ledger;
      if (!d) throw new NotFoundError(`${name} is not a domain of ${domain} (see \`delegate client domain list ${domain}\`)`);
      const why = await whyDomainStays(tx, a, d);
      if (why) throw new ConflictError(why);
      const write = async (tx2: Tx, how: string) => {
        await tx2.deleteClientDomain(domain, name);
        await appendAudit(tx2, s.clock, {
          actor: a.actor.email,
          action: 'client.domain.remove',
          target,
          outcome: 'allowed',
          detail: `${d.verified ? 'verified' : 'unverified'} domain removed${how}`,
        });
        return d;
      };
      return removal(d, write, tenantOf(a), clientScope(a), inTenant ? deleteDomain(a.partner.cloud, 'domain', name) : `${name} is not a domain of ${domain}'s tenant at Microsoft`);
    },
    opts.mode,
  );
}

/** A domain that is Microsoft's, not the partner's to add (exit 2). */
function checkAddable(name: string): string {
  if (isInitialDomainName(name)) throw new UsageError(`${name} is a Microsoft initial domain; only the client's own domains can be added`);
  return name;
}

export async function addClientDomain(s: Session, domainIn: string, nameIn: string, opts: { mode: Mode }): Promise<Carried<ClientDomain>> {
  const ref = v.clientRef(domainIn);
  const name = checkAddable(v.domain(nameIn, 'domain'));
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const target = `${domain}/${name}`;
      authorize(a, 'add-domain', false, 'client.domain.add', target);
      if (seen === null) return observeFirst(tenantOf(a), clientScope(a));
      const owners = await tx.domainOwners(name);
      if (owners.includes(domain) || a.domains.some((d) => d.name === name)) throw new ConflictError(`${name} is already a domain of ${domain}`);
      if (owners.length) throw new ConflictError(`${name} is already a domain of another client (${owners[0]})`);
      if (await tx.partnerUsesDomain(name)) throw new ConflictError(`${name} is a domain of ${a.partner.name} itself (its users' emails are on it), not of ${domain}`);
      // A subdomain of a verified domain is verified with it (Graph, "List
      // verificationDnsRecords": "If a root domain is verified, subdomains of the
      // root domain are automatically verified";
      // https://learn.microsoft.com/graph/api/domain-list-verificationdnsrecords).
      const verified = a.domains.some((d) => d.verified && name.endsWith(`.${d.name}`) && !d.isInitial);
      const added: ClientDomain = { clientDomain: domain, name, isInitial: false, verified, addedAt: nowIso(s) };
      const write = async (tx2: Tx, d: ClientDomain, how: string) => {
        await tx2.insertClientDomains([d]);
        await appendAudit(tx2, s.clock, {
          actor: a.actor.email,
          action: 'client.domain.add',
          target,
          outcome: 'allowed',
          detail: (d.verified ? 'verified with its parent domain' : 'unverified until its DNS record is in place and `client domain verify` records it') + how,
        });
        return d;
      };
      return {
        steps: [inScope(clientScope(a), [addDomain(a.partner.cloud, 'domain', name)])],
        tenant: tenantOf(a),
        apply: (tx2) => write(tx2, added, ''),
        // What Microsoft says of the new domain (isVerified) is what the ledger records.
        record: async (tx2, responses) => {
          const r = responses.get('domain');
          return r ? write(tx2, { ...added, verified: r.isVerified === true }, ' (at Microsoft)') : added;
        },
      };
    },
    opts.mode,
  );
}

/** The TXT record Microsoft asks for, from a verificationDnsRecords response, as one line. */
export function txtRecordOf(body: Record<string, unknown> | undefined): string | undefined {
  const list = Array.isArray(body?.value) ? (body.value as Record<string, unknown>[]) : [];
  const txt = list.find((r) => r.recordType === 'Txt');
  return txt ? `TXT ${String(txt.label)} "${String(txt.text)}" (TTL ${String(txt.ttl)})` : undefined;
}

/**
 * Mark an added domain verified. Offline this records the partner's word that
 * the DNS record Microsoft asks for is in place; live (and the plan) read that
 * record and ask Microsoft to check it.
 */
export async function verifyClientDomain(s: Session, domainIn: string, nameIn: string, opts: { mode: Mode }): Promise<Carried<ClientDomain & { txtRecord?: string }>> {
  const ref = v.clientRef(domainIn);
  const name = v.domain(nameIn, 'domain');
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const target = `${domain}/${name}`;
      authorize(a, 'verify-domain', false, 'client.domain.verify', target);
      if (seen === null) return observeFirst(tenantOf(a), clientScope(a));
      const d = a.domains.find((x) => x.name === name);
      if (!d) throw new NotFoundError(`${name} is not a domain of ${domain} (see \`delegate client domain list ${domain}\`; add it with \`delegate client domain add ${domain} ${name}\`)`);
      if (d.verified) throw new ConflictError(`${name} is already verified in ${domain}`);
      const write = async (tx2: Tx, detail: string) => {
        if (!(await tx2.listClientDomains(domain)).some((x) => x.name === name)) await tx2.insertClientDomains([{ ...d, verified: true }]);
        else await tx2.setDomainVerified(domain, name);
        await appendAudit(tx2, s.clock, { actor: a.actor.email, action: 'client.domain.verify', target, outcome: 'allowed', detail });
      };
      return {
        steps: [inScope(clientScope(a), planVerifyDomain(a.partner.cloud, name))],
        tenant: tenantOf(a),
        apply: async (tx2) => {
          await write(tx2, "recorded on the partner's word that the DNS record is in place (not checked with Microsoft)");
          return { ...d, verified: true };
        },
        record: async (tx2, responses) => {
          const txtRecord = txtRecordOf(responses.get('records'));
          const r = responses.get('verify');
          if (!r || r.isVerified !== true) return { ...d, ...(txtRecord ? { txtRecord } : {}) };
          await write(tx2, 'verified by Microsoft');
          return { ...d, verified: true, ...(txtRecord ? { txtRecord } : {}) };
        },
        failureNote: (responses) => {
          const txt = txtRecordOf(responses.get('records'));
          return txt ? `Microsoft wants this DNS record in place first: ${txt}` : undefined;
        },
      };
    },
    opts.mode,
  );
}

export async function listClientDomains(s: Session, domainIn: string, opts: { mode: Mode }): Promise<Carried<ClientDomain[]>> {
  const ref = v.clientRef(domainIn);
  return carryOut(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain);
      // A domain that never accepted an offer is not a client: not found (exit 3), not a refusal to audit.
      if (!a.client) throw notAClient(a);
      authorize(a, 'list', false, 'client.domain.list', domain);
      return { steps: [[listDomains(a.partner.cloud)]], apply: async () => a.domains, record: async () => a.domains };
    },
    readOnly(opts.mode),
  );
}
