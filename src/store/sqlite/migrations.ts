/**
 * Numbered migrations on PRAGMA user_version. Each runs in its own
 * transaction and bumps user_version; a shipped migration is never edited.
 */
export const APPLICATION_ID = 0x444c4754; // "DLGT": marks a file as a delegate store

import { INTENTS_DDL } from '../sql/intents.js';
import { SYNC_DDL } from '../sql/sync-stage.js';
import { PIM_DDL } from '../sql/pim.js';

export const MIGRATIONS: readonly string[] = [
  // 1: the core ledger
  `
  CREATE TABLE partner (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    cloud TEXT NOT NULL CHECK (cloud IN ('global', 'china')),
    certified INTEGER NOT NULL CHECK (certified IN (0, 1)),
    created_at TEXT NOT NULL
  );
  CREATE TABLE users (
    email TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    org_role TEXT NOT NULL CHECK (org_role IN ('global-admin', 'user')),
    admin_access TEXT NOT NULL CHECK (admin_access IN ('full', 'limited', 'none')),
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE offers (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('plain', 'trial', 'purchase', 'granular')),
    product TEXT,
    quantity INTEGER,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at TEXT
  );
  CREATE TABLE clients (
    domain TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tenant_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'removed')),
    offer_id TEXT NOT NULL REFERENCES offers(id),
    accepted_at TEXT NOT NULL,
    removed_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX clients_status ON clients(status);
  CREATE TABLE acceptances (
    id INTEGER PRIMARY KEY,
    offer_id TEXT NOT NULL REFERENCES offers(id),
    client_domain TEXT NOT NULL REFERENCES clients(domain),
    at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
  );
  CREATE INDEX acceptances_offer ON acceptances(offer_id);
  CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    client_domain TEXT,
    offer_id TEXT,
    message TEXT NOT NULL,
    read_at TEXT
  );
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    detail TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_actor ON audit(actor);
  CREATE INDEX audit_target ON audit(target);
  `,
  // 2: client directories (acting for a client)
  `
  CREATE TABLE client_users (
    client_domain TEXT NOT NULL REFERENCES clients(domain),
    upn TEXT NOT NULL,
    name TEXT NOT NULL,
    is_admin INTEGER NOT NULL CHECK (is_admin IN (0, 1)),
    password_reset_at TEXT,
    force_change INTEGER NOT NULL DEFAULT 0 CHECK (force_change IN (0, 1)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (client_domain, upn)
  ) WITHOUT ROWID;
  CREATE TABLE client_domains (
    client_domain TEXT NOT NULL REFERENCES clients(domain),
    name TEXT NOT NULL,
    is_initial INTEGER NOT NULL CHECK (is_initial IN (0, 1)),
    added_at TEXT NOT NULL,
    PRIMARY KEY (client_domain, name)
  ) WITHOUT ROWID;
  CREATE INDEX client_domains_name ON client_domains(name);
  INSERT OR IGNORE INTO client_domains (client_domain, name, is_initial, added_at)
    SELECT domain, domain, 0, accepted_at FROM clients;
  INSERT OR IGNORE INTO client_domains (client_domain, name, is_initial, added_at)
    SELECT domain, substr(domain, 1, instr(domain, '.') - 1) || '.onmicrosoft.com', 1, accepted_at FROM clients;
  `,
  // 3: granular delegated admin (GDAP): relationships, templates, security groups, access assignments
  `
  CREATE TABLE relationships (
    id TEXT PRIMARY KEY,
    offer_id TEXT NOT NULL UNIQUE REFERENCES offers(id),
    display_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    duration TEXT NOT NULL,
    auto_extend TEXT NOT NULL CHECK (auto_extend IN ('PT0S', 'P180D')),
    roles TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('approvalPending', 'active', 'terminated')),
    created_at TEXT NOT NULL,
    activated_at TEXT,
    ends_at TEXT,
    terminated_at TEXT,
    client_domain TEXT REFERENCES clients(domain),
    template TEXT
  ) WITHOUT ROWID;
  CREATE INDEX relationships_client ON relationships(client_domain);
  CREATE TABLE templates (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    roles TEXT NOT NULL,
    duration TEXT NOT NULL,
    auto_extend TEXT NOT NULL CHECK (auto_extend IN ('PT0S', 'P180D')),
    assignments TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE groups (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    object_id TEXT,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE group_members (
    group_name TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,
    email TEXT NOT NULL REFERENCES users(email) ON DELETE CASCADE,
    PRIMARY KEY (group_name, email)
  ) WITHOUT ROWID;
  CREATE INDEX group_members_email ON group_members(email);
  CREATE TABLE access_assignments (
    relationship_id TEXT NOT NULL REFERENCES relationships(id),
    group_name TEXT NOT NULL REFERENCES groups(name),
    roles TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (relationship_id, group_name)
  ) WITHOUT ROWID;
  `,
  // 4: find the first global admin without scanning every user
  `
  CREATE INDEX users_org_role ON users(org_role, created_at, email);
  `,
  // 5: trial invitations and purchase offers carry the link Partner Center made, and the
  // partner its integer Partner ID (msppid). Older trial and purchase offers keep their
  // ids, products, quantities, status and acceptances; their links were made up by
  // delegate (never stored, never valid at Microsoft) and are gone: link stays NULL.
  `
  ALTER TABLE partner ADD COLUMN mpn_id INTEGER CHECK (mpn_id IS NULL OR (typeof(mpn_id) = 'integer' AND mpn_id >= 0));
  ALTER TABLE offers ADD COLUMN link TEXT;
  ALTER TABLE offers ADD COLUMN link_id TEXT;
  CREATE INDEX offers_link ON offers(kind, link_id) WHERE link_id IS NOT NULL;
  `,
  // 6: the object ids of the partner's AdminAgents and HelpdeskAgents groups (DAP access is their membership)
  `
  ALTER TABLE partner ADD COLUMN admin_agents_group_id TEXT;
  ALTER TABLE partner ADD COLUMN helpdesk_agents_group_id TEXT;
  `,
  // 7: client domains are verified or not: the accepted and the initial domain
  // are; a domain added before this version is not (nothing recorded that its
  // DNS records were ever checked) until client domain verify marks it
  `
  ALTER TABLE client_domains ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
  UPDATE client_domains SET verified = 1 WHERE is_initial = 1 OR name = client_domain;
  `,
  // 8: a client holds its delegated admin (DAP) relationship and any number of granular ones at once.
  // clients.offer_id/accepted_at now name the latest acceptance of any kind; the DAP relationship gets
  // its own columns; a client's status is derived from its relationships (status and removed_at go).
  `
  ALTER TABLE clients ADD COLUMN dap_offer_id TEXT REFERENCES offers(id);
  ALTER TABLE clients ADD COLUMN dap_accepted_at TEXT;
  ALTER TABLE clients ADD COLUMN dap_removed_at TEXT;
  -- Clients whose current relationship is the DAP one: carried over as it is.
  UPDATE clients SET dap_offer_id = offer_id, dap_accepted_at = accepted_at,
      dap_removed_at = CASE WHEN status = 'removed' THEN coalesce(removed_at, accepted_at) END
    WHERE (SELECT kind FROM offers o WHERE o.id = clients.offer_id) != 'granular';
  -- Clients now on a granular relationship that accepted a DAP offer before: the old rules let a
  -- client accept again only once its relationship had ended, so that DAP relationship was removed
  -- (when: its client.remove audit entry, else at the granular acceptance).
  UPDATE clients SET
      dap_offer_id = (SELECT a.offer_id FROM acceptances a JOIN offers o ON o.id = a.offer_id
        WHERE a.client_domain = clients.domain AND o.kind != 'granular' ORDER BY a.at DESC, a.id DESC LIMIT 1),
      dap_accepted_at = (SELECT a.at FROM acceptances a JOIN offers o ON o.id = a.offer_id
        WHERE a.client_domain = clients.domain AND o.kind != 'granular' ORDER BY a.at DESC, a.id DESC LIMIT 1)
    WHERE dap_offer_id IS NULL;
  UPDATE clients SET dap_removed_at = coalesce(
      (SELECT max(u.at) FROM audit u WHERE u.action = 'client.remove' AND u.outcome = 'allowed' AND u.target = clients.domain
        AND u.at >= clients.dap_accepted_at AND u.at <= clients.accepted_at),
      clients.accepted_at)
    WHERE dap_offer_id IS NOT NULL AND dap_offer_id != offer_id;
  DROP INDEX clients_status;
  ALTER TABLE clients DROP COLUMN status;
  ALTER TABLE clients DROP COLUMN removed_at;
  `,
  // 9: Microsoft's id for an access assignment (read by sync): removing or changing one names it
  `
  ALTER TABLE access_assignments ADD COLUMN microsoft_id TEXT;
  `,
  // 10: what Microsoft last said of a granular relationship (live commands and sync): Graph's own status
  // (the ledger's status column keeps its three states) and the relationship's ETag (If-Match).
  `
  ALTER TABLE relationships ADD COLUMN ms_status TEXT;
  ALTER TABLE relationships ADD COLUMN etag TEXT;
  `,
  // 11: a partner user's database login (the identity on a team store, kept by db copy both ways),
  // and inbox read state per partner user (a team store's; db copy carries it)
  `
  ALTER TABLE users ADD COLUMN db_login TEXT;
  CREATE UNIQUE INDEX users_db_login ON users(db_login) WHERE db_login IS NOT NULL;
  CREATE TABLE notification_reads (
    notification_id INTEGER NOT NULL REFERENCES notifications(id),
    email TEXT NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (notification_id, email)
  ) WITHOUT ROWID;
  `,
  // 12: intents (live mode, exactly once): a change sent to Microsoft whose outcome is not recorded
  // yet; outside the audit chain and db copy. An access assignment's status as Microsoft last gave it.
  INTENTS_DDL +
    `
  ALTER TABLE access_assignments ADD COLUMN status TEXT;
  `,
  // 13: sync at partner scale: its staged answers and its one running sync (outside the audit chain
  // and db copy), what each relationship and client last read from Microsoft, an offer's origin
  // ('sync': a DAP customer sync imported), and clients found by tenant id through an index.
  SYNC_DDL +
    `
  CREATE INDEX clients_tenant ON clients(lower(tenant_id));
  `,
  // 14: PIM for Groups: a partner user eligible for a group's membership until an end, and its
  // activation (until when; active or waiting for approval). Part of the ledger (db copy carries it).
  PIM_DDL,
];

export const LATEST_VERSION = MIGRATIONS.length;
