/**
 * Reconcile's relationships part (reconcile.ts has the rules): a chunk of staged relationships with
 * their staged access assignments and their customers' contracts, then the ledger's relationships
 * Microsoft no longer lists.
 */
import type { StagedItem, Tx } from '../core/store.js';
import type { Relationship } from '../core/model.js';
import { madeElsewhere } from '../offer/granular-offers.js';
import { recordOnboarding, templateAssignments } from '../access/assignments.js';
import { roleName } from '../relationship/roles.js';
import { fromMicrosoft, roleIds, storedStatus, type MsRelationship } from '../relationship/microsoft.js';
import type { Stage } from './stage.js';
import type { MsContract, StagedAssignments } from './types.js';
import { change, clientFor, newerWrites, write, writtenAfter, type ChunkContext } from './chunk.js';

export type { ChunkContext };

interface Prefetched {
  assignments: Map<string, StagedItem>;
  contracts: Map<string, StagedItem>;
}

function describe(r: Relationship): string {
  return `${r.msStatus ?? r.status}${r.clientDomain ? ` with ${r.clientDomain}` : ''}`;
}

/** A relationship as sync compares it: a new ETag alone is no change to report. */
const compared = (r: Relationship) => JSON.stringify({ ...r, etag: undefined });

export const relationshipChunk = {
  /** What the chunk needs from the stage, read before its transaction. */
  async prefetch(stage: Stage, items: readonly StagedItem[]): Promise<Prefetched> {
    const ms = items.map((i) => JSON.parse(i.body) as MsRelationship);
    const tenants = ms.map((m) => m.customer?.tenantId?.toLowerCase()).filter((t): t is string => Boolean(t));
    return { assignments: await stage.get('assignments', items.map((i) => i.key)), contracts: await stage.get('contract', [...new Set(tenants)]) };
  },

  async run(tx: Tx, ctx: ChunkContext, items: readonly StagedItem[], pre: Prefetched): Promise<void> {
    if (!ctx.dryRun) ctx.made.clear();
    const newer = await newerWrites(tx, ctx, Math.min(...items.map((i) => i.seq)));
    const at = ctx.at;
    for (const item of items) {
      const m = JSON.parse(item.body) as MsRelationship;
      const mine = (await tx.getRelationship(m.id)) ?? (await tx.sync.relationshipByName(m.displayName));
      if (mine && writtenAfter(newer, item.seq, [mine.clientDomain, mine.displayName, mine.offerId])) {
        ctx.seen.add(mine.id);
        ctx.out.keptNewer.push(`relationship ${mine.displayName} (written in the ledger after it was read)`);
        continue;
      }
      let base: Relationship;
      if (mine) {
        base = mine;
      } else {
        const made = madeElsewhere(m, ctx.actor, at);
        const offer = made.offer;
        base = made.base;
        await write(ctx, () => tx.insertOffer(offer));
      }
      ctx.seen.add(m.id);
      const tenantId = m.customer?.tenantId ?? null;
      let clientDomain = base.clientDomain;
      if (storedStatus(m.status) !== 'approvalPending' && tenantId) {
        const contract = pre.contracts.get(tenantId.toLowerCase());
        const made = await clientFor(tx, ctx, tenantId, contract && (JSON.parse(contract.body) as MsContract), m.customer?.displayName, base.offerId, m.activatedDateTime ?? base.activatedAt ?? at, false);
        clientDomain = made.client.domain;
      }
      const next = fromMicrosoft(m, base, clientDomain, at);
      if (!mine) {
        change(ctx, { kind: next.status === 'terminated' ? 'ended' : 'added', what: 'relationship', target: next.displayName, detail: `created elsewhere: ${describe(next)} (id ${next.id})` });
      } else if (compared(mine) !== compared(next)) {
        const ended = mine.status !== 'terminated' && next.status === 'terminated';
        const parts: string[] = [];
        if (mine.id !== next.id) parts.push(`id ${mine.id} -> ${next.id} (Microsoft's)`);
        if (describe(mine) !== describe(next)) parts.push(`${describe(mine)} -> ${describe(next)}`);
        if (parts.length === 0) parts.push('dates and settings as Microsoft has them');
        change(ctx, { kind: ended ? 'ended' : 'changed', what: 'relationship', target: next.displayName, detail: parts.join('; ') });
      }
      const held = mine ? await tx.listAssignments(base.id) : [];
      // A relationship new to the ledger is written as Microsoft has it, once.
      await write(ctx, () => (mine ? tx.replaceRelationship(base.id, next) : tx.insertRelationship(next)));
      const stagedItem = pre.assignments.get(item.key);
      const staged = stagedItem ? (JSON.parse(stagedItem.body) as StagedAssignments) : undefined;
      const atMicrosoft = staged?.items ?? [];
      // Onboarding: approved at Microsoft, a relationship made from a template gets its group assignments here.
      if (mine?.status === 'approvalPending' && next.status === 'active' && next.template && next.clientDomain) {
        const wanted = (await templateAssignments(tx, next, at)).filter((a) => !atMicrosoft.some((x) => ctx.groupByObjectId.get(x.accessContainer?.accessContainerId?.toLowerCase() ?? '') === a.group));
        for (const a of wanted) change(ctx, { kind: 'added', what: 'assignment', target: `${next.displayName}/${a.group}`, detail: `${a.roles.length} role${a.roles.length === 1 ? '' : 's'}, from template ${next.template}` });
        if (!ctx.dryRun) held.push(...(await recordOnboarding(tx, ctx.s.clock, ctx.actor, next.clientDomain, next.template, wanted, 'seen approved by sync')));
        if (wanted.length) {
          ctx.out.notes.push(
            `"${next.displayName}" became active: template ${next.template}'s group assignments are recorded in the ledger; sync reads Microsoft and does not write to it, so create them there with ${wanted.map((a) => `\`delegate client assign ${next.clientDomain} --group "${a.group}" --roles "${a.roles.map(roleName).join(',')}" --plan\``).join(', ')}`,
          );
        }
      }
      if (!staged) continue;
      for (const a of atMicrosoft) {
        const objectId = a.accessContainer?.accessContainerId?.toLowerCase();
        const group = objectId ? ctx.groupByObjectId.get(objectId) : undefined;
        if (!group) {
          ctx.out.notes.push(`"${next.displayName}" has an access assignment for group ${objectId ?? '(none)'}, which the ledger does not know (\`delegate group create <name> --object-id <id>\`)`);
          continue;
        }
        const roles = roleIds(a);
        const current = held.find((x) => x.group === group);
        const microsoftId = a.id ?? null;
        const status = a.status ?? null;
        if (current && JSON.stringify([...current.roles].sort()) === JSON.stringify(roles)) {
          // Same roles: only Microsoft's id or status may be news (the id is kept so `client unassign` can name it).
          if ((microsoftId && current.microsoftId !== microsoftId) || (status && current.status !== status)) {
            await write(ctx, () => tx.upsertAssignment({ ...current, relationshipId: next.id, microsoftId: microsoftId ?? current.microsoftId ?? null, ...(status ? { status } : {}) }));
          }
          continue;
        }
        change(ctx, { kind: current ? 'changed' : 'added', what: 'assignment', target: `${next.displayName}/${group}`, detail: `${roles.length} role${roles.length === 1 ? '' : 's'}` });
        await write(ctx, () => tx.upsertAssignment({ relationshipId: next.id, group, roles, createdAt: current?.createdAt ?? at, microsoftId, ...(status ? { status } : {}) }));
      }
      await write(ctx, () => tx.sync.markAssignmentsRead([{ id: next.id, etag: staged.etag, at }]));
    }
  },

  /** The ledger's relationships Microsoft did not list, a page at a time. */
  async absent(tx: Tx, ctx: ChunkContext, size: number): Promise<void> {
    for (let after = ''; ; ) {
      const page = await tx.sync.relationshipPage(after, size);
      if (page.length === 0) return;
      after = page[page.length - 1]!.id;
      for (const r of page) {
        if (ctx.seen.has(r.id)) continue;
        if (r.msStatus === 'created') {
          const mine = (await tx.getRelationship(r.id))!;
          await write(ctx, () => tx.replaceRelationship(r.id, { ...mine, msStatus: 'deletedAtMicrosoft', status: 'terminated', terminatedAt: ctx.at }));
          ctx.out.deletedAtMicrosoft.push(r.displayName);
          change(ctx, { kind: 'ended', what: 'relationship', target: r.displayName, detail: 'deleted at Microsoft (it was created, never sent for approval, and Microsoft no longer lists it)' });
          continue;
        }
        ctx.out.notAtMicrosoft.push(`${r.displayName} (${r.msStatus ?? r.status}${r.clientDomain ? ` with ${r.clientDomain}` : ''}; kept as it is)`);
      }
    }
  },
};
