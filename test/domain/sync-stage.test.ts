/**
 * A dry run's stage (domain/sync/stage.ts memoryStage): items paged in key order, each once, from
 * any key, including items put between two pages.
 */
import { describe, expect, it } from '@jest/globals';
import { memoryStage } from '../../src/domain/sync/stage.js';
import type { StagedItem, Store } from '../../src/domain/core/store.js';

const item = (key: string): StagedItem => ({ kind: 'relationship', key, body: '{}', seq: 0, at: '2026-12-07T00:00:00.000Z' });

describe('memoryStage', () => {
  it('pages through a kind in key order, each item once, after any key', async () => {
    const stage = memoryStage({} as Store);
    await stage.put(['d', 'a', 'c', 'b', 'e'].map(item));
    const keys = async (after: string, size: number) => (await stage.after('relationship', after, size)).map((i) => i.key);
    expect(await keys('', 2)).toEqual(['a', 'b']);
    expect(await keys('b', 2)).toEqual(['c', 'd']);
    expect(await keys('bb', 10)).toEqual(['c', 'd', 'e']);
    expect(await keys('e', 10)).toEqual([]);
    await stage.put([item('ca'), item('a')]);
    expect(await keys('b', 3)).toEqual(['c', 'ca', 'd']);
    expect(await stage.count('relationship')).toBe(6);
    expect(await stage.after('contract', '', 10)).toEqual([]);
  });
});
