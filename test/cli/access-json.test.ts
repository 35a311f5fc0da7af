/**
 * `access show --output json` writes its rows from cached pieces (src/cli/commands/access/view.ts
 * accessRowElement): the text must be exactly what jsonText(list, 2) writes for the same rows, with
 * terminal-unsafe characters escaped, `activeUntil` only when set, DAP rows and null ends.
 */
import { describe, expect, it } from '@jest/globals';
import { accessView } from '../../src/cli/commands/access/view.js';
import { jsonText, renderListStream } from '../../src/cli/render.js';
import type { AccessRow } from '../../src/domain/access/matrix.js';

const role = { id: '729827e3-9c14-49f7-bb1b-9608f156bbb8', name: 'Helpdesk Administrator' };
const via = { kind: 'group' as const, group: 'Help "desk" \u202e\u2028 \\ ünï', relationshipId: 'r-1' };
const rows: AccessRow[] = [
  { user: 'lee@fabrikam.com', client: 'contoso.com', role, via, endsAt: '2027-01-01T00:00:00.000Z', membership: 'direct', activeUntil: undefined, readAt: '2026-12-07T10:00:00.000Z' },
  { user: 'kim@fabrikam.com', client: 'contoso.com', role, via, endsAt: '2027-01-01T00:00:00.000Z', membership: 'activated', activeUntil: '2026-12-07T18:00:00.000Z', readAt: '2026-12-07T10:00:00.000Z' },
  { user: 'ada\u0085@fabrikam.com', client: 'wingtip.com', role: { id: 'g', name: 'Global Administrator' }, via: { kind: 'dap' }, endsAt: null, membership: 'direct', activeUntil: undefined, readAt: '2026-12-07T10:00:00.000Z' },
  { user: 'lee@fabrikam.com', client: 'contoso.com', role, via, endsAt: '2027-01-01T00:00:00.000Z', membership: 'eligible', activeUntil: undefined, readAt: '2026-12-07T10:00:00.000Z' },
];

function printed(view: typeof accessView, chunks: AccessRow[][]): Promise<string> {
  let out = '';
  const s = renderListStream({ output: 'json', color: false, write: (t) => (out += t) }, view);
  return (async () => {
    for (const c of chunks) await s.add(c);
    await s.end();
    return out;
  })();
}

describe('access show JSON from cached pieces', () => {
  it('equals jsonText(list, 2) exactly, in one chunk and in several', async () => {
    const expected = jsonText(rows, 2) + '\n';
    expect(await printed(accessView, [rows])).toBe(expected);
    expect(await printed(accessView, [rows.slice(0, 1), rows.slice(1, 3), rows.slice(3)])).toBe(expected);
    // And what the view would write without the fast path.
    const { jsonElement: _fast, ...slow } = accessView;
    expect(await printed(slow, [rows])).toBe(expected);
    expect(JSON.parse(expected)).toEqual(JSON.parse(JSON.stringify(rows)));
    expect(expected).toContain('\\u202e');
  });
});
