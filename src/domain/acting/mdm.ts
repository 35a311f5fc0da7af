/** Delegated access to Mobile Device Management: never supported, always refused and audited. */
import { NotPermittedError } from '../core/errors.js';
import { requirePartner, resolveActor, writeAudited, type Session } from '../core/session.js';
import * as v from '../core/validate.js';

/** The seed's statement, in the words SPEC.md gives it. */
export const MDM_NOT_SUPPORTED = 'Delegated access to Mobile Device Management is not supported.';

/**
 * What a refused `client mdm` is audited with: its arguments as given (the
 * first 200 characters). Arguments holding control characters are bad input
 * (exit 2), so the audit trail never keeps text that could drive a terminal.
 */
export function mdmTarget(args: readonly string[]): string {
  args.forEach((a, i) => v.printable(a, `client mdm argument ${i + 1}`));
  return [...args.join(' ')].slice(0, 200).join('') || 'mdm';
}

/** Delegated access to Mobile Device Management is not supported: always refused, and audited. */
export async function refuseMdm(s: Session, args: readonly string[]): Promise<never> {
  const target = mdmTarget(args);
  // A ledger with no partner yet (a team store its owner has only migrated) has nobody to audit: the
  // same answer as with no store at all.
  if (!(await s.store.read((tx) => tx.getPartner()))) throw new NotPermittedError(MDM_NOT_SUPPORTED, { actor: '', action: 'client.mdm', target: '' });
  await writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s).then(
      (u) => u.email,
      () => s.actorEmail ?? 'unknown',
    );
    throw new NotPermittedError(MDM_NOT_SUPPORTED, { actor, action: 'client.mdm', target });
  });
  throw new Error('unreachable');
}
