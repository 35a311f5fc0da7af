/**
 * The reads behind `access show` and `access why` (SPEC.md "Access: who can do what, and why not"),
 * written once for both backends: a chunk of clients' access assignments and read marks in a few
 * statements (IN lists of at most IN_CHUNK keys), and the group memberships in one.
 */
import type { AccessReads, AccessTx, Membership } from '../../domain/core/access-store.js';
import type { SqlDriver } from './driver.js';
import { toAssignment, type Row } from './rows.js';

const IN_CHUNK = 500;
const marks = (n: number) => Array<string>(n).fill('?').join(', ');

async function inChunks(keys: readonly string[], f: (chunk: readonly string[]) => Promise<Row[]> | Row[]): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < keys.length; i += IN_CHUNK) for (const r of await f(keys.slice(i, i + IN_CHUNK))) out.push(r);
  return out;
}

export function accessMethods(q: Pick<SqlDriver, 'all'>): AccessTx {
  return {
    async reads(relationshipIds, domains): Promise<AccessReads> {
      const assignments = (
        await inChunks(relationshipIds, (c) => q.all(`SELECT * FROM access_assignments WHERE relationship_id IN (${marks(c.length)}) ORDER BY relationship_id, group_name`, c))
      ).map(toAssignment);
      const rels = await inChunks(relationshipIds, (c) => q.all(`SELECT id, assignments_read_at FROM relationships WHERE id IN (${marks(c.length)})`, c));
      const clients = await inChunks(domains, (c) => q.all(`SELECT domain, dap_read_at FROM clients WHERE domain IN (${marks(c.length)})`, c));
      return {
        assignments,
        assignmentsReadAt: new Map(rels.map((r) => [r.id as string, (r.assignments_read_at as string | null) ?? null])),
        dapReadAt: new Map(clients.map((r) => [r.domain as string, (r.dap_read_at as string | null) ?? null])),
      };
    },
    async memberships(email) {
      // Direct members, then PIM for Groups eligibilities (sql/pim.ts): activated ('active') or not; the
      // domain judges them at its own time (access/paths.ts membershipsAt).
      const where = email === undefined ? '' : ' WHERE email = ?';
      const params = email === undefined ? [] : [email];
      const direct = await q.all(`SELECT group_name, email FROM group_members${where} ORDER BY group_name, email`, params);
      const pim = await q.all(`SELECT group_name, email, eligible_until, activation, active_until FROM group_eligibility${where} ORDER BY group_name, email`, params);
      return [
        ...direct.map((r): Membership => ({ group: r.group_name as string, email: r.email as string, kind: 'direct', activeUntil: null })),
        ...pim.map(
          (r): Membership => ({
            group: r.group_name as string,
            email: r.email as string,
            kind: r.activation === 'active' ? 'activated' : 'eligible',
            activeUntil: r.activation === 'active' ? ((r.active_until as string | null) ?? null) : null,
            eligibleUntil: r.eligible_until as string,
          }),
        ),
      ];
    },
  };
}
