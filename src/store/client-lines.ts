/**
 * The client list's lines a store prints itself (Tx.clientLines), shared by every backend: the SQL
 * that joins a client's fields (standard SQL, the same on SQLite and PostgreSQL), which clients may
 * be printed so, and the text render.ts would make for them.
 */
import type { ClientRecord } from '../domain/model.js';
import type { ClientLineForm } from '../domain/store.js';

/**
 * Lines the store prints itself (Tx.clientLines), for a client with its DAP relationship and no
 * granular one: the query joins its eight fields with commas, and a field line is printed here only
 * when every field is printable ASCII with nothing CSV or JSON would quote, escape or neutralise
 * (no quote, backslash or comma, no leading = + - @), so exactly seven commas separate them. The
 * text is then what render.ts makes by construction; every other client goes there as its record.
 */
export const FIELD_LINE = ['c.domain', 'c.name', 'c.tenant_id', 'c.offer_id', 'c.accepted_at', 'c.dap_offer_id', 'c.dap_accepted_at', 'c.dap_removed_at']
  .map((f) => `coalesce(${f}, '')`)
  .join(" || ',' || ");
export const PRINTABLE = 'c.dap_offer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain)';
// eslint-disable-next-line no-control-regex
export const PLAIN_FIELDS = /^(?:(?![=+\-@])[^",\\\u0000-\u001f\u007f-\uffff]*,){7}(?![=+\-@])[^",\\\u0000-\u001f\u007f-\uffff]*$/;
const json = (v: string) => (v === '' ? 'null' : `"${v}"`);

/** The default client list's line for a field line that passed PLAIN_FIELDS (empty field: null). */
export function printedClient(fields: string, form: ClientLineForm): string {
  const [domain, name, tenantId, offerId, acceptedAt, dapOfferId, dapAcceptedAt, dapRemovedAt] = fields.split(',') as [string, string, string, string, string, string, string, string];
  const status = dapRemovedAt === '' ? 'active' : 'removed';
  // clientView's columns: domain, name, tenantId, status, offerId, acceptedAt, removedAt.
  if (form === 'csv') return `${domain},${name},${tenantId},${status},${offerId},${acceptedAt},${dapRemovedAt}\n`;
  // clientJson, as an element of a list printed with JSON.stringify(list, null, 2).
  return `  {
    "domain": ${json(domain)},
    "name": ${json(name)},
    "tenantId": ${json(tenantId)},
    "status": "${status}",
    "offerId": ${json(offerId)},
    "acceptedAt": ${json(acceptedAt)},
    "removedAt": ${json(dapRemovedAt)},
    "relationships": [
      {
        "kind": "dap",
        "status": "${status}",
        "offerId": ${json(dapOfferId)},
        "acceptedAt": ${json(dapAcceptedAt)},
        "removedAt": ${json(dapRemovedAt)}
      }
    ]
  }`;
}

/**
 * A page of clientLines from rows of (domain, field line or null): the printed line where the
 * field line passes PLAIN_FIELDS, else the client's record (read for the page at once).
 */
export async function printedPage(
  rows: readonly (readonly [string, string | null])[],
  form: ClientLineForm,
  getClients: (domains: string[]) => Promise<Map<string, ClientRecord>>,
): Promise<(string | ClientRecord)[]> {
  const out: (string | ClientRecord)[] = new Array(rows.length);
  const records: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const line = rows[i]![1];
    if (line !== null && PLAIN_FIELDS.test(line)) out[i] = printedClient(line, form);
    else records.push(i);
  }
  if (records.length) {
    const found = await getClients(records.map((i) => rows[i]![0]));
    for (const i of records) out[i] = found.get(rows[i]![0])!;
  }
  return out;
}
