/**
 * A live bulk command's JSON (SPEC.md "Live mode, exactly once"): one object per item with its outcome,
 * and the command's own JSON for what an applied item made (src/cli/live.ts liveItemsJson).
 */
import { describe, expect, it } from '@jest/globals';
import { liveItemsJson } from '../../src/cli/live.js';

describe('liveItemsJson', () => {
  const printed = [
    { upn: 'al@contoso.com', temporaryPassword: 'p1' },
    { upn: 'CY@contoso.com', temporaryPassword: 'p3', roles: [{ name: 'x' }] },
  ];

  it("gives every item its outcome, in order; an applied item gets what the command printed for it (its name matched without regard to case), a failed or pending one its step and message, and the pending one its intent id", () => {
    expect(
      liveItemsJson(
        [
          { item: 'al@contoso.com', outcome: 'applied' },
          { item: 'bo@contoso.com', outcome: 'failed', step: 'user-2', message: 'Refused.' },
          { item: 'cy@contoso.com', outcome: 'accepted' },
          { item: 'di@contoso.com', outcome: 'pending', step: 'user-4', message: 'No answer.', intentId: 'i-4' },
          { item: 'ed@contoso.com', outcome: 'not sent' },
        ],
        printed,
      ),
    ).toEqual([
      { item: 'al@contoso.com', outcome: 'applied', result: printed[0] },
      { item: 'bo@contoso.com', outcome: 'failed', step: 'user-2', message: 'Refused.' },
      { item: 'cy@contoso.com', outcome: 'accepted', result: printed[1] },
      { item: 'di@contoso.com', outcome: 'pending', step: 'user-4', message: 'No answer.', intentId: 'i-4' },
      { item: 'ed@contoso.com', outcome: 'not sent' },
    ]);
  });

  it('one printed object (not a list) is no single item\'s result', () => {
    expect(liveItemsJson([{ item: 'lee@fabrikam.com', outcome: 'applied' }], { name: 'Helpdesk', members: ['lee@fabrikam.com'] })).toEqual([{ item: 'lee@fabrikam.com', outcome: 'applied' }]);
  });
});
