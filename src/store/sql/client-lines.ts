/**
 * The client list's text a store prints itself (Tx.clientLines), shared by every backend: the SQL
 * that makes a client's text in the list's form (the same on SQLite and PostgreSQL but for the name
 * of the formatting function), which clients may be printed so, and the check that the text is
 * exactly what render.ts would make for them.
 */
import type { ClientRecord } from '../../domain/core/model.js';
import type { ClientLineForm } from '../../domain/core/store.js';
import type { Dialect } from './dialect.js';

/** A client printed by the store: its DAP relationship and no granular one. */
export const PRINTABLE = 'c.dap_offer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain)';

/** A column that may be NULL as JSON, when it holds nothing to escape (the format quotes the others). */
const json = (f: string) => `CASE WHEN ${f} IS NULL THEN 'null' ELSE '"' || ${f} || '"' END`;
/** clientSummary's status of a client with only its DAP relationship. */
const status = "CASE WHEN c.dap_removed_at IS NULL THEN 'active' ELSE 'removed' END";

/**
 * The text of a printable client (PRINTABLE) in `form`, made by the query: what render.ts makes from
 * its record when no field holds anything CSV or JSON would quote, escape or neutralise, which
 * printedPage then checks (the query cannot check it cheaply). CSV: clientView's columns (domain,
 * name, tenantId, status, offerId, acceptedAt, removedAt) with the record's newline. JSON:
 * clientJson as an element of a list printed with JSON.stringify(list, null, 2), without separator.
 */
export function printedSql(form: ClientLineForm, dialect: Dialect): string {
  if (form === 'csv') {
    return `${['c.domain', 'c.name', 'c.tenant_id', status, 'c.offer_id', 'c.accepted_at', 'c.dap_removed_at'].map((f) => `coalesce(${f}, '')`).join(" || ',' || ")} || '\n'`;
  }
  const format = dialect.format;
  // domain, name, offer_id and accepted_at are NOT NULL, and so is dap_offer_id here (PRINTABLE).
  return `${format}('  {
    "domain": "%s",
    "name": "%s",
    "tenantId": %s,
    "status": "%s",
    "offerId": "%s",
    "acceptedAt": "%s",
    "removedAt": %s,
    "relationships": [
      {
        "kind": "dap",
        "status": "%s",
        "offerId": "%s",
        "acceptedAt": %s,
        "removedAt": %s
      }
    ]
  }', c.domain, c.name, ${json('c.tenant_id')}, ${status}, c.offer_id, c.accepted_at, ${json('c.dap_removed_at')}, ${status}, c.dap_offer_id, ${json('c.dap_accepted_at')}, ${json('c.dap_removed_at')})`;
}

// A field with nothing to quote, escape or neutralise: printable ASCII without quote, comma or
// backslash, not starting with = + - @ (csvCell's formula rule).
const FIELD = '(?![=+\\-@])[^",\\\\\\u0000-\\u001f\\u007f-\\uffff]*';
const VALUE = `(?:null|"${FIELD}")`;
const STATUS = '"(?:active|removed)"';
/** One printed client's text as printedSql makes it, every field plain (the whole text is matched). */
const ONE: Record<ClientLineForm, string> = {
  csv: `(?:${FIELD},){6}${FIELD}\\n`,
  json: [
    '  \\{',
    `    "domain": ${VALUE},`,
    `    "name": ${VALUE},`,
    `    "tenantId": ${VALUE},`,
    `    "status": ${STATUS},`,
    `    "offerId": ${VALUE},`,
    `    "acceptedAt": ${VALUE},`,
    `    "removedAt": ${VALUE},`,
    '    "relationships": \\[',
    '      \\{',
    '        "kind": "dap",',
    `        "status": ${STATUS},`,
    `        "offerId": ${VALUE},`,
    `        "acceptedAt": ${VALUE},`,
    `        "removedAt": ${VALUE}`,
    '      \\}',
    '    \\]',
    '  \\}',
  ].join('\\n'),
};
/** Between two printed clients in a run (what render.ts puts between them). */
const SEPARATOR: Record<ClientLineForm, string> = { csv: '', json: ',\n' };
const oneText = { csv: new RegExp(`^${ONE.csv}$`), json: new RegExp(`^${ONE.json}$`) };
const runText = { csv: new RegExp(`^(?:${ONE.csv})+$`), json: new RegExp(`^${ONE.json}(?:,\\n${ONE.json})*$`) };
/** Clients checked with one match at most (the match's backtracking stack grows with the run). */
const RUN = 500;

/**
 * A page of clientLines from rows of (domain, printedSql's text or null): consecutive clients whose
 * text passes the check come as one string (their texts joined as render.ts joins them), checked
 * with one match for the run; any other client comes as its record (read for the page at once).
 */
export async function printedPage(
  rows: readonly (readonly [string, string | null])[],
  form: ClientLineForm,
  getClients: (domains: string[]) => Promise<Map<string, ClientRecord>>,
): Promise<(string | ClientRecord)[]> {
  const out: (string | ClientRecord)[] = [];
  // Where a record goes in `out`, and whose.
  const records: [number, string][] = [];
  const record = (domain: string) => {
    records.push([out.length, domain]);
    out.push('');
  };
  const sep = SEPARATOR[form];
  let from = 0; // the run: rows[from, to), every one with a text
  const flush = (to: number) => {
    if (to === from) return;
    const texts = rows.slice(from, to).map((r) => r[1]!);
    const run = texts.join(sep);
    if (runText[form].test(run)) out.push(run);
    else {
      // Some text in the run is not plain: each is checked alone, a failing one read as its record.
      let plain: string[] = [];
      for (let i = from; i < to; i++) {
        const t = rows[i]![1]!;
        if (oneText[form].test(t)) plain.push(t);
        else {
          if (plain.length) out.push(plain.join(sep));
          plain = [];
          record(rows[i]![0]);
        }
      }
      if (plain.length) out.push(plain.join(sep));
    }
  };
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]![1] === null) {
      flush(i);
      record(rows[i]![0]);
      from = i + 1;
    } else if (i - from === RUN) {
      flush(i);
      from = i;
    }
  }
  flush(rows.length);
  if (records.length) {
    const found = await getClients(records.map(([, d]) => d));
    for (const [at, d] of records) out[at] = found.get(d)!;
  }
  return out;
}
