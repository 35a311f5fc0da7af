/**
 * The PostgreSQL schema, by number (as SQLite's PRAGMA user_version): the
 * version lives in delegate_schema, each migration runs in its own
 * transaction under an advisory lock, a shipped migration is never edited.
 * Times are kept as text, exactly as written (they feed the audit hash);
 * keys and sorted text are COLLATE "C" so lists come out in the same order as
 * on SQLite whatever the database's collation. Names SQLite compares without
 * case (templates, groups, relationship display names) have unique indexes on
 * lower(name) and are looked up by lower(name).
 */
import { INTENTS_DDL } from '../sql/intents.js';
import { SYNC_DDL } from '../sql/sync-stage.js';
import { PIM_DDL } from '../sql/pim.js';

const T = 'text COLLATE "C"';

export const MIGRATIONS: readonly string[] = [
  // 1: the ledger as SQLite's version 11 holds it (users' database logins, per-user inbox read state, access assignments' Microsoft ids, relationships' Graph status and ETag).
  `
  CREATE TABLE partner (
    id integer PRIMARY KEY CHECK (id = 1),
    name ${T} NOT NULL,
    tenant_id ${T} NOT NULL,
    cloud ${T} NOT NULL CHECK (cloud IN ('global', 'china')),
    certified boolean NOT NULL,
    mpn_id bigint CHECK (mpn_id IS NULL OR mpn_id >= 0),
    created_at ${T} NOT NULL,
    admin_agents_group_id ${T},
    helpdesk_agents_group_id ${T}
  );
  CREATE TABLE users (
    email ${T} PRIMARY KEY,
    name ${T} NOT NULL,
    org_role ${T} NOT NULL CHECK (org_role IN ('global-admin', 'user')),
    admin_access ${T} NOT NULL CHECK (admin_access IN ('full', 'limited', 'none')),
    created_at ${T} NOT NULL,
    db_login ${T} UNIQUE
  );
  CREATE INDEX users_org_role ON users(org_role, created_at, email);
  CREATE TABLE offers (
    seq bigserial PRIMARY KEY,
    id ${T} NOT NULL UNIQUE,
    kind ${T} NOT NULL CHECK (kind IN ('plain', 'trial', 'purchase', 'granular')),
    product ${T},
    quantity integer,
    status ${T} NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at ${T} NOT NULL,
    created_by ${T} NOT NULL,
    revoked_at ${T},
    link ${T},
    link_id ${T}
  );
  CREATE INDEX offers_link ON offers(kind, link_id) WHERE link_id IS NOT NULL;
  CREATE TABLE clients (
    domain ${T} PRIMARY KEY,
    name ${T} NOT NULL,
    tenant_id ${T},
    offer_id ${T} NOT NULL REFERENCES offers(id),
    accepted_at ${T} NOT NULL,
    dap_offer_id ${T} REFERENCES offers(id),
    dap_accepted_at ${T},
    dap_removed_at ${T}
  );
  CREATE INDEX clients_tenant ON clients(lower(tenant_id));
  CREATE TABLE acceptances (
    id bigserial PRIMARY KEY,
    offer_id ${T} NOT NULL REFERENCES offers(id),
    client_domain ${T} NOT NULL REFERENCES clients(domain),
    at ${T} NOT NULL,
    recorded_by ${T} NOT NULL
  );
  CREATE INDEX acceptances_offer ON acceptances(offer_id);
  CREATE TABLE notifications (
    id bigserial PRIMARY KEY,
    at ${T} NOT NULL,
    kind ${T} NOT NULL,
    client_domain ${T},
    offer_id ${T},
    message ${T} NOT NULL,
    read_at ${T}
  );
  CREATE TABLE notification_reads (
    notification_id bigint NOT NULL REFERENCES notifications(id),
    email ${T} NOT NULL,
    read_at ${T} NOT NULL,
    PRIMARY KEY (notification_id, email)
  );
  CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    at ${T} NOT NULL,
    actor ${T} NOT NULL,
    action ${T} NOT NULL,
    target ${T} NOT NULL,
    outcome ${T} NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    detail ${T} NOT NULL,
    hash ${T} NOT NULL
  );
  CREATE INDEX audit_actor ON audit(actor);
  CREATE INDEX audit_target ON audit(target);
  CREATE TABLE client_users (
    client_domain ${T} NOT NULL REFERENCES clients(domain),
    upn ${T} NOT NULL,
    name ${T} NOT NULL,
    is_admin boolean NOT NULL,
    password_reset_at ${T},
    force_change boolean NOT NULL DEFAULT false,
    created_at ${T} NOT NULL,
    PRIMARY KEY (client_domain, upn)
  );
  CREATE TABLE client_domains (
    client_domain ${T} NOT NULL REFERENCES clients(domain),
    name ${T} NOT NULL,
    is_initial boolean NOT NULL,
    added_at ${T} NOT NULL,
    verified boolean NOT NULL DEFAULT false,
    PRIMARY KEY (client_domain, name)
  );
  CREATE INDEX client_domains_name ON client_domains(name);
  CREATE TABLE relationships (
    id ${T} PRIMARY KEY,
    offer_id ${T} NOT NULL UNIQUE REFERENCES offers(id),
    display_name ${T} NOT NULL,
    duration ${T} NOT NULL,
    auto_extend ${T} NOT NULL CHECK (auto_extend IN ('PT0S', 'P180D')),
    roles ${T} NOT NULL,
    status ${T} NOT NULL CHECK (status IN ('approvalPending', 'active', 'terminated')),
    created_at ${T} NOT NULL,
    activated_at ${T},
    ends_at ${T},
    terminated_at ${T},
    client_domain ${T} REFERENCES clients(domain),
    template ${T},
    ms_status ${T},
    etag ${T}
  );
  CREATE UNIQUE INDEX relationships_display_name ON relationships(lower(display_name));
  CREATE INDEX relationships_client ON relationships(client_domain);
  CREATE TABLE templates (
    name ${T} PRIMARY KEY,
    roles ${T} NOT NULL,
    duration ${T} NOT NULL,
    auto_extend ${T} NOT NULL CHECK (auto_extend IN ('PT0S', 'P180D')),
    assignments ${T} NOT NULL DEFAULT '[]',
    created_at ${T} NOT NULL,
    created_by ${T} NOT NULL
  );
  CREATE UNIQUE INDEX templates_name ON templates(lower(name));
  CREATE TABLE groups (
    name ${T} PRIMARY KEY,
    object_id ${T},
    created_at ${T} NOT NULL
  );
  CREATE UNIQUE INDEX groups_name ON groups(lower(name));
  CREATE TABLE group_members (
    group_name ${T} NOT NULL REFERENCES groups(name) ON DELETE CASCADE ON UPDATE CASCADE,
    email ${T} NOT NULL REFERENCES users(email) ON DELETE CASCADE,
    PRIMARY KEY (group_name, email)
  );
  CREATE INDEX group_members_email ON group_members(email);
  CREATE TABLE access_assignments (
    relationship_id ${T} NOT NULL REFERENCES relationships(id) ON UPDATE CASCADE,
    group_name ${T} NOT NULL,
    roles ${T} NOT NULL,
    created_at ${T} NOT NULL,
    microsoft_id ${T},
    PRIMARY KEY (relationship_id, group_name)
  );
  `,
  // 2 (SQLite's 12): intents (live mode, exactly once), shared by the team, so one technician's recovery
  // resolves another's crash; an access assignment's status as Microsoft last gave it. Logins granted
  // before (db grant) may use intents as the ledger's tables.
  INTENTS_DDL.replace(/\bTEXT\b/g, T) +
    `
  ALTER TABLE access_assignments ADD COLUMN status ${T};
  DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = 'users' AND privilege_type = 'INSERT' AND grantee <> current_user LOOP
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON intents TO %I', r.grantee);
    END LOOP;
  END $$;
  `,
  // 3 (SQLite's 13): sync at partner scale: its staged answers and its one running sync, what each
  // relationship and client last read from Microsoft, an offer's origin. Logins granted before may use them.
  SYNC_DDL.replace(/\bTEXT\b/g, T) +
    `
  DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = 'users' AND privilege_type = 'INSERT' AND grantee <> current_user LOOP
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON sync_stage, sync_run TO %I', r.grantee);
    END LOOP;
  END $$;
  `,
  // 4 (SQLite's 14): PIM for Groups: eligibility for a group's membership and its activation. Logins granted
  // before may use it as the ledger's tables.
  PIM_DDL.replace(/\bTEXT\b/g, T).replace('REFERENCES groups(name) ON DELETE CASCADE', 'REFERENCES groups(name) ON DELETE CASCADE ON UPDATE CASCADE') +
    `
  DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = 'users' AND privilege_type = 'INSERT' AND grantee <> current_user LOOP
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON group_eligibility TO %I', r.grantee);
    END LOOP;
  END $$;
  `,
];

export const LATEST_VERSION = MIGRATIONS.length;

/**
 * The advisory locks delegate takes, in the two-key form (class, object): the class says what
 * for, the object is the store's schema (hashtext(current_schema())), so stores in different
 * schemas of one database do not wait for each other.
 */
export const LOCK = {
  /** Held (session-level) while migrating: two CLIs starting at once do not race. */
  migrate: 0x444c4701,
  /** Held (transaction-level) by every write transaction: writes, and so audit appends, are serialised. */
  write: 0x444c4702,
} as const;

