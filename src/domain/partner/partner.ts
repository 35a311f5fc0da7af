/** The partner itself: set up once, shown, changed by its global admins. */
import { appendAudit } from '../core/audit.js';
import { ConflictError } from '../core/errors.js';
import type { Cloud, Partner, PartnerUser } from '../core/model.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from '../core/session.js';

export interface InitInput {
  name: string;
  tenantId: string;
  cloud: Cloud;
  certified: boolean;
  mpnId?: number;
  adminEmail: string;
  adminName: string;
  /** The database login that acts as the admin (team store; default there: the connection's login). */
  dbLogin?: string;
}

/** Create the partner and its first global admin (with full admin access). */
export async function initPartner(s: Session, input: InitInput): Promise<{ partner: Partner; admin: PartnerUser }> {
  return writeAudited(s, async (tx) => {
    const existing = await tx.getPartner();
    if (existing) throw new ConflictError(`This store already belongs to ${existing.name} (${existing.tenantId}); use \`delegate partner set\` to change it`);
    const at = nowIso(s);
    const partner: Partner = {
      name: input.name,
      tenantId: input.tenantId,
      cloud: input.cloud,
      certified: input.certified,
      mpnId: input.mpnId ?? null,
      createdAt: at,
      adminAgentsGroupId: null,
      helpdeskAgentsGroupId: null,
    };
    const dbLogin = input.dbLogin ?? s.store.login ?? null;
    const admin: PartnerUser = { email: input.adminEmail, name: input.adminName, orgRole: 'global-admin', adminAccess: 'full', createdAt: at, dbLogin };
    await tx.insertPartner(partner);
    await tx.insertUsers([admin]);
    await appendAudit(tx, s.clock, {
      actor: admin.email,
      action: 'partner.init',
      target: partner.tenantId,
      outcome: 'allowed',
      detail: `${partner.name}, cloud ${partner.cloud}, ${partner.certified ? 'certified' : 'not certified'}${partner.mpnId === null ? '' : `, Partner ID ${partner.mpnId}`}; first global admin ${admin.email}${dbLogin === null ? '' : ` (database login ${dbLogin})`}`,
    });
    return { partner, admin };
  });
}

export async function showPartner(s: Session): Promise<Partner> {
  return s.store.read((tx) => requirePartner(tx));
}

export interface PartnerChanges {
  name?: string;
  /** A correction of a mistyped tenant id: only while no offer or client was made with it. */
  tenantId?: string;
  certified?: boolean;
  cloud?: Cloud;
  mpnId?: number;
  adminAgentsGroupId?: string;
  helpdeskAgentsGroupId?: string;
}

/** Whether the store holds at least one of something (the first page of a paged read). */
async function any(pages: AsyncIterable<unknown[]>): Promise<boolean> {
  for await (const page of pages) return page.length > 0;
  return false;
}

/**
 * Change the partner (global admins). The tenant id is in every offer's link and
 * in what each client accepted, and the cloud decides where clients and the
 * sign-in live: so the tenant id changes only while no offer or client exists,
 * the cloud only while no client does and no sign-in (`signedInCloud`, the cloud
 * of the saved Microsoft sign-in, if any) is to another cloud (exit 5 naming why).
 */
export async function setPartner(s: Session, changes: PartnerChanges, opts: { signedInCloud?: Cloud | null } = {}): Promise<Partner> {
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    may.globalAdmin(actor, 'partner.set', partner.tenantId, 'change the partner');
    const tenantChanges = changes.tenantId !== undefined && changes.tenantId !== partner.tenantId;
    const cloudChanges = changes.cloud !== undefined && changes.cloud !== partner.cloud;
    if (tenantChanges || cloudChanges) {
      const what = tenantChanges ? `the tenant id (${partner.tenantId})` : `the cloud (${partner.cloud})`;
      if (await any(tx.clientChunks({}, 1))) throw new ConflictError(`Cannot change ${what}: clients were recorded with it (see \`delegate client list\`)`);
      if (tenantChanges && (await any(tx.offerChunks({ all: true }, 1)))) {
        throw new ConflictError(`Cannot change the tenant id (${partner.tenantId}): offers were made with it, and their links carry it (see \`delegate offer list --all\`)`);
      }
      if (cloudChanges && opts.signedInCloud && opts.signedInCloud !== changes.cloud) {
        throw new ConflictError(`Cannot change the cloud to ${changes.cloud}: you are signed in to Microsoft's ${opts.signedInCloud} cloud; run \`delegate logout\` first`);
      }
    }
    const next: Partner = { ...partner, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) };
    const diff = (['name', 'tenantId', 'certified', 'cloud', 'mpnId', 'adminAgentsGroupId', 'helpdeskAgentsGroupId'] as const)
      .filter((k) => (next[k] ?? null) !== (partner[k] ?? null))
      .map((k) => `${k}: ${partner[k] ?? null} -> ${next[k]}`);
    if (diff.length === 0) return partner;
    await tx.updatePartner(next);
    await appendAudit(tx, s.clock, { actor: actor.email, action: 'partner.set', target: partner.tenantId, outcome: 'allowed', detail: diff.join('; ') });
    return next;
  });
}
