/**
 * The domains a newly accepted client starts with: the one it accepted under
 * and its initial (`<label>.onmicrosoft.com`) domain, unique across clients.
 */
import type { ClientDomain, Cloud } from '../core/model.js';
import type { Tx } from '../core/store.js';
import { INITIAL_SUFFIX } from '../core/validate.js';

/** The client's initial domain label: the first label of the domain it accepted under. */
function initialLabel(clientDomain: string): string {
  return clientDomain.slice(0, clientDomain.indexOf('.'));
}


/**
 * The initial domain for a newly accepted client: `<label><suffix>`, where
 * `<label>` is the first label of its domain; when another client holds that
 * already, the first free of `<label>1<suffix>`, `<label>2<suffix>`, ...
 * (Microsoft gives every tenant a unique initial domain; the ledger cannot
 * know the one Microsoft chose, so it picks a unique one the same way.)
 */
export async function allocateInitialDomain(taken: (name: string) => Promise<boolean>, cloud: Cloud, clientDomain: string): Promise<string> {
  const label = initialLabel(clientDomain);
  for (let n = 0; ; n++) {
    const name = `${label}${n === 0 ? '' : n}${INITIAL_SUFFIX[cloud]}`;
    if (!(await taken(name))) return name;
  }
}

/**
 * The domains newly accepted clients start with, both verified: the one each
 * accepted under and its initial one (a client that accepts again keeps the
 * initial domain it had). For a chunk of clients accepting one after another,
 * as if each one's domains were written before the next one's were chosen (a
 * name one of them takes is taken for the rest), to be written with one
 * insertClientDomains. The chunk's first-choice initial names are looked up
 * in one query; only a taken one falls back to a look-up per name, and a
 * client not in the ledger yet (`known: false`) has no domains there to read.
 */
export async function startingDomainsOf(
  tx: Tx,
  cloud: Cloud,
  clients: readonly { domain: string; known: boolean }[],
  at: string,
): Promise<ClientDomain[]> {
  const suffix = INITIAL_SUFFIX[cloud];
  const firstChoices = clients.map((c) => initialLabel(c.domain) + suffix);
  const asked = new Set(firstChoices);
  const inLedger = await tx.takenDomainNames([...asked]);
  // Names this chunk has given so far: not in the ledger yet, taken all the same.
  const given = new Set<string>();
  const taken = async (name: string) => given.has(name) || (asked.has(name) ? inLedger.has(name) : (await tx.domainOwners(name)).length > 0);
  const out: ClientDomain[] = [];
  for (let i = 0; i < clients.length; i++) {
    const clientDomain = clients[i]!.domain;
    const had = clients[i]!.known ? (await tx.listClientDomains(clientDomain)).find((d) => d.isInitial) : undefined;
    const first = firstChoices[i]!;
    const initial = had?.name ?? (!(await taken(first)) ? first : await allocateInitialDomain(taken, cloud, clientDomain));
    given.add(clientDomain);
    given.add(initial);
    out.push(
      { clientDomain, name: clientDomain, isInitial: false, verified: true, addedAt: at },
      { clientDomain, name: initial, isInitial: true, verified: true, addedAt: had?.addedAt ?? at },
    );
  }
  return out;
}
