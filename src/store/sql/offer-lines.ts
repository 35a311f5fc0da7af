/**
 * The offer list's lines a store prints itself (Tx.offerLines), shared by every backend: the SQL that
 * makes a granular offer's plain line in the page query (standard SQL but for one pattern match, given
 * by each backend), which lines may be printed so, and the records read for the rest.
 *
 * The relationship's status is the domain's rule (relationships.ts, relationshipState) restated in
 * SQL for the cases where a comparison of ISO times as text is exact: a time in the form toISOString
 * gives (or the same without milliseconds, as Graph writes it) against the clock in that form. Any
 * other time gives no line, and that offer goes to render.ts as its record. The text is checked
 * against the renderer by property (test/store/paged-reads.test.ts).
 */
import { FINER } from '../../domain/relationship/relationships.js';
import type { OfferLineSpec, OfferWithRelationship } from '../../domain/core/store.js';

/** What differs between backends in the line's SQL. */
export interface OfferLineDialect {
  /** SQL that is true when the text `x` is an ISO time as toISOString writes it (`millis`), or the same without milliseconds (Dialect.isoTime). */
  isoTime(x: string, millis: boolean): string;
  /** The placeholders of the spec's values. */
  now: string;
  pendingSince: string;
  urlPrefix: string;
}

/**
 * `then(key)` with `key` the stored ISO time `x` as toISOString writes it (milliseconds added when it
 * has none), where text order is time order; NULL when `x` is in neither form. Each form is tested
 * once (SQL does not share a repeated expression).
 */
function byTime(d: OfferLineDialect, x: string, then: (key: string) => string): string {
  return `CASE WHEN ${d.isoTime(x, true)} THEN ${then(x)} WHEN ${d.isoTime(x, false)} THEN ${then(`(substr(${x}, 1, 19) || '.000Z')`)} END`;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** relationshipState's `finer`: Graph's finer status when it is one of this ledger status's, else the ledger's. */
function finer(status: keyof typeof FINER): string {
  return `CASE WHEN r.ms_status IN (${FINER[status].map(lit).join(', ')}) THEN r.ms_status ELSE ${lit(status)} END`;
}

/**
 * relationshipState(r, now).status in SQL, NULL where a time is not in a form compared exactly: a
 * pending relationship expires PENDING_DAYS after it was made (made after pendingSince: not yet); an
 * active one when its end passes, unless it auto-extends (then it is always within a period).
 */
function statusSql(d: OfferLineDialect): string {
  const pending = (created: string) => `CASE WHEN ${created} > ${d.pendingSince} THEN ${finer('approvalPending')} ELSE 'expired' END`;
  const active = (ends: string) => `CASE WHEN r.auto_extend = 'P180D' OR ${ends} > ${d.now} THEN ${finer('active')} ELSE 'expired' END`;
  return `CASE r.status
    WHEN 'terminated' THEN ${finer('terminated')}
    WHEN 'approvalPending' THEN ${byTime(d, 'r.created_at', pending)}
    WHEN 'active' THEN ${byTime(d, 'r.ends_at', active)}
  END`;
}

/**
 * The plain line of a granular offer (offerView's columns id, status, kind, acceptedCount, createdAt,
 * createdBy, url, tab-separated, with its newline), NULL for any other offer. Joined with `o` the
 * offer and `r` its relationship (LEFT JOIN, so NULL for other offers).
 */
export function offerLineSql(d: OfferLineDialect): string {
  return [
    'o.id',
    'o.status',
    `'granular: ' || r.display_name || ' (' || (${statusSql(d)}) || ')'`,
    '(SELECT count(*) FROM acceptances a WHERE a.offer_id = o.id)',
    'o.created_at',
    'o.created_by',
    `${d.urlPrefix} || r.id`,
  ].join(" || '\t' || ") + " || '\n'";
}

/** Characters terminalSafe (render.ts) escapes: controls, bidirectional overrides, line separators, backslash; and tab, which separates. */
const SAFE = '[^\\\\\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]';
/** Characters encodeURIComponent leaves as they are (the link's relationship id must be only these). */
const URI_UNRESERVED = "[A-Za-z0-9\\-_.!~*'()]";

/**
 * The test a line must pass to be printed as the store made it: seven fields with nothing plain
 * output escapes, the last the link with a relationship id encodeURIComponent leaves alone. The
 * text is then what render.ts makes by construction.
 */
export function printableLine(urlPrefix: string): RegExp {
  const prefix = urlPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(?:${SAFE}*\\t){6}${prefix}${URI_UNRESERVED}*\\n$`);
}

/**
 * A page of offerLines from rows of (seq, line or null): the line where it passes printableLine,
 * else the offer with its relationship (read for the page at once, by seq).
 */
export async function printedOffers(
  rows: readonly (readonly [number | string, string | null])[],
  spec: OfferLineSpec,
  records: (seqs: (number | string)[]) => Promise<Map<string, OfferWithRelationship>>,
): Promise<(string | OfferWithRelationship)[]> {
  const ok = printableLine(spec.urlPrefix);
  const out: (string | OfferWithRelationship)[] = new Array(rows.length);
  const rest: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const line = rows[i]![1];
    if (line !== null && ok.test(line)) out[i] = line;
    else rest.push(i);
  }
  if (rest.length) {
    const found = await records(rest.map((i) => rows[i]![0]));
    for (const i of rest) out[i] = found.get(String(rows[i]![0]))!;
  }
  return out;
}
