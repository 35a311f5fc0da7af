/**
 * `access show` at partner scale (1,000 clients x 50 technicians): JSON, CSV and the table agree
 * and `--fields` works; and the `--output html` page opened in a real headless browser (Debian's
 * chromium, driven by playwright-core): the matrix renders and the page makes no network request.
 * Never skipped: .ci/run installs chromium when it is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { chromium, type BrowserContext } from 'playwright-core';
import { ADMIN, TENANT, runBin, sandbox, setupIn, withStore, type Sandbox } from '../helpers/cli.js';
import type { ClientRecord, OfferRecord, PartnerUser, Relationship } from '../../src/domain/core/model.js';

const T0 = '2026-03-01T09:00:00.000Z';
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const UA = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const CLIENTS = 1000;
const TECHS = 50;
/** 40 technicians in Techs (Helpdesk Administrator on every client), 10 in Seniors (User Administrator on even clients). */
const ROWS = CLIENTS * 40 + (CLIENTS / 2) * 10;

const pad = (i: number) => String(i).padStart(4, '0');
const domainOf = (i: number) => `c${pad(i)}.example.com`;
const tech = (i: number) => `tech${String(i).padStart(2, '0')}@fabrikam.com`;

let sb: Sandbox;

/** Written through the store contract (either backend), a chunk of statements, not 1,000 CLI runs. */
beforeAll(async () => {
  sb = await sandbox();
  sb.env.DELEGATE_NOW = T0;
  await setupIn(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await withStore(sb.db, (store) =>
    store.write(async (tx) => {
      const users: PartnerUser[] = Array.from({ length: TECHS }, (_, i) => ({ email: tech(i), name: `Tech ${i}`, orgRole: 'user', adminAccess: 'none', createdAt: T0 }));
      await tx.insertUsers(users);
      await tx.insertGroup({ name: 'Techs', objectId: null, createdAt: T0 });
      await tx.insertGroup({ name: 'Seniors', objectId: null, createdAt: T0 });
      await tx.addGroupMembers('Techs', users.slice(0, 40).map((u) => u.email));
      await tx.addGroupMembers('Seniors', users.slice(40).map((u) => u.email));
      const clients: ClientRecord[] = [];
      for (let i = 0; i < CLIENTS; i++) {
        const id = `00000000-0000-4000-8000-00000000${pad(i)}`;
        const offer: OfferRecord = { id, kind: 'granular', product: null, quantity: null, link: null, linkId: null, status: 'active', createdAt: T0, createdBy: ADMIN, revokedAt: null, acceptedCount: 1 };
        await tx.insertOffer(offer);
        clients.push({ domain: domainOf(i), name: `Client ${i}`, tenantId: null, offerId: id, acceptedAt: T0, dap: null, gdap: [] });
      }
      await tx.upsertClients(clients);
      for (let i = 0; i < CLIENTS; i++) {
        // Every tenth relationship ends within 180 days (the page's timeline), the others in two years.
        const endsAt = new Date(Date.parse(T0) + (i % 10 === 0 ? 30 + i / 10 : 730) * 86_400_000).toISOString();
        const r: Relationship = {
          id: `rel-${pad(i)}`, offerId: `00000000-0000-4000-8000-00000000${pad(i)}`, displayName: `GDAP ${i}`, duration: 'P730D', autoExtendDuration: 'PT0S', roles: [HA, UA],
          status: 'active', createdAt: T0, activatedAt: T0, endsAt, terminatedAt: null, clientDomain: domainOf(i), template: null,
        };
        await tx.insertRelationship(r);
        await tx.upsertAssignment({ relationshipId: r.id, group: 'Techs', roles: [HA], createdAt: T0 });
        if (i % 2 === 0) await tx.upsertAssignment({ relationshipId: r.id, group: 'Seniors', roles: [UA], createdAt: T0 });
      }
    }),
  );
});
afterAll(() => sb.cleanup());

type Row = { user: string; client: string; role: { id: string; name: string }; via: { kind: string; group?: string; relationshipId?: string }; endsAt: string | null; membership: string; readAt: string };

/** A row's JSON flattened the way the table and CSV name their columns. */
function flat(r: Row): Record<string, string> {
  return {
    user: r.user, client: r.client, 'role.id': r.role.id, 'role.name': r.role.name, 'via.kind': r.via.kind, 'via.group': r.via.group ?? '',
    'via.relationshipId': r.via.relationshipId ?? '', endsAt: r.endsAt ?? '', membership: r.membership, activeUntil: '', readAt: r.readAt,
  };
}

describe('access show: 1,000 clients x 50 technicians', () => {
  let rows: Row[];
  beforeAll(async () => {
    const r = await runBin(['access', 'show', '--json'], sb.env);
    expect(r.code).toBe(0);
    rows = JSON.parse(r.stdout);
  });

  test('JSON: every (user, client, role) once, client by client', () => {
    expect(rows).toHaveLength(ROWS);
    expect(new Set(rows.map((r) => `${r.user} ${r.client} ${r.role.id}`)).size).toBe(ROWS);
    expect(rows.filter((r) => r.client === domainOf(2)).map((r) => r.role.name)).toEqual([...Array(40).fill('Helpdesk Administrator'), ...Array(10).fill('User Administrator')]);
    expect(rows.filter((r) => r.client === domainOf(3))).toHaveLength(40);
    expect(rows[0]).toEqual({ user: tech(0), client: domainOf(0), role: { id: HA, name: 'Helpdesk Administrator' }, via: { kind: 'group', group: 'Techs', relationshipId: 'rel-0000' }, endsAt: '2026-03-31T09:00:00.000Z', membership: 'direct', readAt: T0 });
  });

  test('CSV equals the JSON, flattened, row for row', async () => {
    const r = await runBin(['access', 'show', '--output', 'csv'], sb.env);
    expect(r.code).toBe(0);
    const csv = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(csv).toHaveLength(ROWS);
    expect(csv).toEqual(rows.map(flat));
  });

  test('the table (with --fields) equals the JSON; --fields JSON holds only those fields', async () => {
    const fields = ['user', 'client', 'role.name', 'via.group', 'endsAt'];
    const t = await runBin(['access', 'show', '--output', 'table', '--fields', fields.join(',')], sb.env);
    expect(t.code).toBe(0);
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines[0]!.trim().split(/\s{2,}/)).toEqual(fields);
    const body = lines.slice(1).filter((l) => !/^[\s─-]*$/.test(l)).map((l) => l.trim().split(/\s{2,}/));
    // A table shows an ISO time's date (cli/table.ts); every other cell whole. Compared as one text: a diff of 45,000 rows is slow.
    const cellOf = (r: Row, f: string) => (f === 'endsAt' ? flat(r)[f]!.slice(0, 10) : flat(r)[f]);
    expect(body.length).toBe(ROWS);
    expect(body.map((b) => b.join('|')).join('\n')).toBe(rows.map((r) => fields.map((f) => cellOf(r, f)).join('|')).join('\n'));
    const j = await runBin(['access', 'show', tech(45), '--json', '--fields', 'client,role.name'], sb.env);
    const picked = JSON.parse(j.stdout);
    expect(picked).toHaveLength(CLIENTS / 2);
    expect(picked[0]).toEqual({ client: domainOf(0), role: { name: 'User Administrator' } });
  });
});

describe('access show --output html in a real headless browser', () => {
  let context: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'delegate-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  /** Open a page with this HTML; every request the page makes. */
  async function open(html: string) {
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (req) => void requests.push(req.url()));
    await page.setContent(html, { waitUntil: 'load' });
    return { page, requests };
  }

  test('the listener sees a request when a page makes one (so the next test can fail)', async () => {
    const { page, requests } = await open('<!DOCTYPE html><img src="http://127.0.0.1:9/probe.png">');
    await page.waitForTimeout(0);
    expect(requests).toContain('http://127.0.0.1:9/probe.png');
    await page.close();
  });

  test('the matrix renders (its rows visible), the timeline too, and the page makes no network request', async () => {
    const some = [domainOf(0), domainOf(1), domainOf(10)];
    const r = await runBin(['access', 'show', ...some.flatMap((d) => ['--client', d]), '--output', 'html'], sb.env);
    expect(r.code).toBe(0);
    const json = JSON.parse((await runBin(['access', 'show', ...some.flatMap((d) => ['--client', d]), '--json'], sb.env)).stdout) as Row[];
    const { page, requests } = await open(r.stdout);
    const bodyRows = page.locator('#matrix tbody tr');
    expect(await bodyRows.count()).toBe(json.length);
    expect(await bodyRows.first().isVisible()).toBe(true);
    expect(await bodyRows.last().isVisible()).toBe(true);
    expect(await bodyRows.first().locator('td').first().innerText()).toBe(json[0]!.user);
    expect(await page.locator('#timeline tbody tr').count()).toBe(2);
    expect(await page.locator('h1').innerText()).toMatch(/Fabrikam IT/);
    expect(await page.locator('script').count()).toBe(0);
    expect(requests).toEqual([]);
    await page.close();
  });
});
