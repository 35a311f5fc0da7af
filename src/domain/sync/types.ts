/**
 * What `delegate sync` reads and reports (SPEC.md "Live mode", "Sync at partner scale"). The reads
 * (src/microsoft/tenant.ts) stage Microsoft's answers as they come (stage.ts); reconcile.ts turns
 * the staged answers into ledger changes, a chunk at a time.
 */
export type { MsRelationship } from '../relationship/microsoft.js';

export const SYNC_PARTS = ['clients', 'relationships', 'users'] as const;
export type SyncPart = (typeof SYNC_PARTS)[number];

/** A delegatedAdminAccessAssignment: a security group of the partner and its roles. */
export interface MsAssignment {
  /** Its id, which a request to change or delete it names. */
  id?: string;
  accessContainer?: { accessContainerId?: string; accessContainerType?: string } | null;
  accessDetails?: { unifiedRoles?: { roleDefinitionId: string }[] } | null;
  status?: string;
}

/** A relationship's access assignments as staged: the relationship's ETag when they were read, and them. */
export interface StagedAssignments {
  etag: string | null;
  items: MsAssignment[];
}

/** A contract (GET /contracts): one customer of the partner. */
export interface MsContract {
  customerId: string;
  defaultDomainName?: string | null;
  displayName?: string | null;
}

/** Partner Center's answer for one customer: allowDelegatedAccess, null when it did not say (or 404). */
export interface StagedDap {
  allow: boolean | null;
}

/** Members (user principal names, lower case) of the agent groups. */
export interface StagedAgents {
  adminGroupId: string | null;
  helpdeskGroupId: string | null;
  admin: string[];
  helpdesk: string[];
  /** Members there only through an activated PIM for Groups assignment, and until when (absent in stages made before). */
  activated?: { email: string; group: 'AdminAgents' | 'HelpdeskAgents'; until: string | null }[];
  /** Why activations were not read, when they were not. */
  activationsUnread?: string;
}

/** How far a paged list was read: the next link to follow (null: read to its end). */
export interface StagedCursor {
  pages: number;
  next: string | null;
  done: boolean;
}

export type ChangeKind = 'added' | 'changed' | 'ended';

export interface SyncChange {
  kind: ChangeKind;
  what: 'relationship' | 'client' | 'dap' | 'user' | 'assignment' | 'partner';
  /** The relationship's display name, the client's key, the user's email. */
  target: string;
  detail: string;
}

/** What the reads sent and skipped (the output's `reads`). */
export interface ReadCounts {
  /** Requests sent, by service (a `$batch` part counts as one). */
  requests: { graph: number; partnerCenter: number };
  /** Items taken from an earlier, interrupted sync's stage instead of being read again. */
  resumed: number;
  /** Relationships whose access assignments were not read again (nothing says they changed). */
  assignmentsSkipped: number;
  /** Customers not read at Partner Center (known, and read within seven days). */
  dapSkipped: number;
  /** Waits for Microsoft's limits (delegate's own pacing and Microsoft's 429s). */
  throttled: number;
}

export interface SyncResult {
  dryRun: boolean;
  changes: SyncChange[];
  /** Ledger relationships Microsoft did not list (kept as they are). */
  notAtMicrosoft: string[];
  /** Ledger relationships in `created` that Microsoft no longer lists: recorded deletedAtMicrosoft. */
  deletedAtMicrosoft: string[];
  /** Records written in the ledger after their read was requested: the ledger's value kept. */
  keptNewer: string[];
  /** Agent group members that are not partner users in the ledger. */
  unknownMembers: string[];
  /** Agent group members there only through an activated PIM assignment (not permanent access). */
  activations: string[];
  notes: string[];
  counts: { added: number; changed: number; ended: number };
  reads?: ReadCounts;
  /** Wall time of the reads and of the reconcile (milliseconds). */
  timings?: { readMs: number; reconcileMs: number };
}
