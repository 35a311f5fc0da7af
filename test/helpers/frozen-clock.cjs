// Preloaded (node --require) into the CLI by the end-to-end tests on PostgreSQL, where DELEGATE_NOW is
// refused (SPEC: a team store's time is the clock's): it sets this process's own clock instead, to the
// time in DELEGATE_TEST_FROZEN_NOW, frozen, so a test can still see expiry happen. Test-only: nothing
// under src/ reads this variable.
'use strict';
const at = Date.parse(process.env.DELEGATE_TEST_FROZEN_NOW);
if (!Number.isNaN(at)) {
  const RealDate = Date;
  class FrozenDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(at);
      else super(...args);
    }
    static now() {
      return at;
    }
  }
  globalThis.Date = FrozenDate;
}
