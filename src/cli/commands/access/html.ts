/**
 * `access show --output html`: one self-contained page (no script, nothing fetched: a
 * Content-Security-Policy of `default-src 'none'` with inline styles only), written to stdout a
 * chunk at a time: the partner, the scope, the time, the sources, the audit head, the matrix, and a
 * timeline of the relationship ends within 180 days. Every piece of text is HTML-escaped.
 */
import type { AccessRow, ShowHead } from '../../../domain/access/matrix.js';
import type { ClientRecord } from '../../../domain/core/model.js';
import { relationshipState } from '../../../domain/relationship/relationships.js';
import { accessView } from './view.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: unknown): string {
  return (s === null || s === undefined ? '' : String(s)).replace(/[&<>"']/g, (c) => ESC[c]!);
}

const HORIZON_DAYS = 180;

const STYLE = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#111}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;font-size:12px}th{background:#f3f3f3}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:600}.eligible{color:#a60}`;

export interface HtmlPage {
  head(h: ShowHead, scope: string): void;
  rows(rows: readonly AccessRow[], clients: readonly ClientRecord[]): void;
  end(): void;
}

/** A page written piece by piece: the matrix as rows come; the timeline (gathered as clients come) after it. */
export function htmlPage(write: (s: string) => void): HtmlPage {
  const ends: { at: string; client: string; relationship: string; autoExtend: boolean }[] = [];
  let now = new Date();
  let count = 0;
  const cols = accessView.columns;
  return {
    head(h, scope) {
      now = h.now;
      write(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n' +
          `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">\n` +
          `<title>Access: ${escapeHtml(h.partner.name)}</title><style>${STYLE}</style></head><body>\n` +
          `<h1>Who can do what: ${escapeHtml(h.partner.name)}</h1>\n<dl>` +
          `<dt>Partner</dt><dd>${escapeHtml(h.partner.name)} (tenant ${escapeHtml(h.partner.tenantId)})</dd>` +
          `<dt>Scope</dt><dd>${escapeHtml(scope)}</dd>` +
          `<dt>Time</dt><dd>${escapeHtml(h.now.toISOString())}</dd>` +
          "<dt>Sources</dt><dd>the ledger; each row's readAt is when Microsoft's state was last read into it by sync, else when the ledger was read. The clients' own Conditional Access policies are not visible.</dd>" +
          `<dt>Audit head</dt><dd><code>${escapeHtml(h.auditHead ?? '(empty)')}</code></dd></dl>\n` +
          `<h2>Matrix</h2>\n<table id="matrix"><thead><tr>${cols.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('')}</tr></thead><tbody>\n`,
      );
    },
    rows(rows, clients) {
      const horizon = now.getTime() + HORIZON_DAYS * 86_400_000;
      for (const c of clients) {
        for (const r of c.gdap) {
          const st = relationshipState(r, now);
          if (st.status !== 'active' && st.status !== 'expiring') continue;
          if (st.endsAt && Date.parse(st.endsAt) <= horizon) ends.push({ at: st.endsAt, client: c.domain, relationship: r.displayName, autoExtend: r.autoExtendDuration === 'P180D' });
        }
      }
      const out: string[] = [];
      for (const r of rows) out.push(`<tr${r.membership === 'eligible' ? ' class="eligible"' : ''}>${cols.map((c) => `<td>${escapeHtml(c.value(r))}</td>`).join('')}</tr>\n`);
      count += rows.length;
      if (out.length) write(out.join(''));
    },
    end() {
      ends.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.client < b.client ? -1 : 1));
      write(
        `</tbody></table>\n<p>${count} row${count === 1 ? '' : 's'}.</p>\n<h2>Relationship ends within ${HORIZON_DAYS} days</h2>\n` +
          (ends.length
            ? `<table id="timeline"><thead><tr><th>ends</th><th>client</th><th>relationship</th><th>auto-extend</th></tr></thead><tbody>\n${ends
                .map((e) => `<tr><td>${escapeHtml(e.at)}</td><td>${escapeHtml(e.client)}</td><td>${escapeHtml(e.relationship)}</td><td>${e.autoExtend ? 'P180D' : 'no'}</td></tr>\n`)
                .join('')}</tbody></table>\n`
            : '<p>None.</p>\n') +
          '</body></html>\n',
      );
    },
  };
}
