/**
 * Options are a schema (STYLE.md): each verb's zod schema is its validation,
 * checked here without I/O. The messages are the ones the end-to-end tests
 * see (exit 2, one line); the order of the checks is what a person reads:
 * options that cannot go together before the file they name is opened.
 */
import { readdirSync } from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../../src/domain/core/errors.js';
import type { Context } from '../../src/cli/context.js';
import { parseWith } from '../../src/cli/schema.js';
import * as clientNoun from '../../src/cli/commands/client/index.js';
import * as accept from '../../src/cli/commands/client/accept.js';
import * as assign from '../../src/cli/commands/client/assign.js';
import * as extend from '../../src/cli/commands/client/extend.js';
import * as removeRole from '../../src/cli/commands/client/remove-role.js';
import * as terminate from '../../src/cli/commands/client/terminate.js';
import * as userAdd from '../../src/cli/commands/client/user-add.js';
import * as offerCreate from '../../src/cli/commands/offer/create.js';
import * as partnerSet from '../../src/cli/commands/partner/set.js';

const GA = '62e90394-69f5-4237-9190-012177145e10';

function problem(schema: Parameters<typeof parseWith>[0], raw: Record<string, unknown>): string {
  try {
    parseWith(schema, raw);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('parsed without a problem');
}

describe('client verbs: one file each, declared with its own name', () => {
  test('every leaf of `client` is registered by the file named like it', async () => {
    const root = new Command('client');
    const ctx = { listFields: (c: Command) => c } as unknown as Context;
    await clientNoun.register(root, ctx);
    const leaves: string[] = [];
    const walk = (c: Command, path: string[]) => {
      if (c.commands.length === 0) leaves.push(path.join('-'));
      for (const sub of c.commands) walk(sub, [...path, sub.name()]);
    };
    for (const sub of root.commands) walk(sub, [sub.name()]);
    const files = readdirSync(new URL('../../src/cli/commands/client/', import.meta.url)).map((f) => f.replace(/\.ts$/, ''));
    expect(leaves.length).toBeGreaterThanOrEqual(19);
    for (const leaf of leaves) expect(files).toContain(leaf);
  });
});

describe('client options', () => {
  test('terminate: the clients must be named, one way; --relationship with one client only', () => {
    expect(problem(terminate.schema, { domains: [] })).toBe('Name the clients: <domain>... or --file <csv|->');
    expect(problem(terminate.schema, { domains: ['a.com', 'b.com'], relationship: 'x' })).toBe('--relationship goes with one client');
    expect(problem(terminate.schema, { domains: ['a.com'], dryRun: true, plan: true })).toBe('Give --plan or --dry-run, not both');
    expect(problem(terminate.schema, { domains: ['a.com'], plan: 'terraform' })).toMatch(/^--plan takes "graph", not "terraform"/);
    expect(problem(terminate.schema, { domains: ['a.com'], dryRun: true, live: true })).toBe('--dry-run writes and sends nothing; --live sends: give one');
    expect(parseWith(terminate.schema, { domains: ['Contoso.com'], relationship: ' helpdesk ' })).toMatchObject({ domains: ['Contoso.com'], relationship: 'helpdesk' });
  });

  test('extend: --all is one more way to name the clients', () => {
    expect(problem(extend.schema, { domains: [] })).toBe('Name the clients: <domain>..., --all or --file <csv|->');
    expect(problem(extend.schema, { domains: ['a.com'], all: true })).toBe('Give <domain>..., --all or --file, one of them');
    expect(parseWith(extend.schema, { domains: [], all: true, off: true })).toMatchObject({ all: true, off: true });
  });

  test('remove-role: only Global Administrator, and it must be named', () => {
    expect(problem(removeRole.schema, { domains: ['a.com'] })).toBe('Missing --role "Global Administrator"');
    expect(problem(removeRole.schema, { domains: ['a.com'], role: 'Helpdesk Administrator' })).toMatch(/^--role: Graph lets an active relationship lose only Global Administrator/);
    expect(parseWith(removeRole.schema, { domains: ['a.com'], role: 'Global Administrator' }).role).toBe(GA);
  });

  test('assign: --group and --roles are required', () => {
    expect(problem(assign.schema, { domain: 'a.com', roles: 'Global Reader' })).toBe('Missing --group <group>');
    expect(problem(assign.schema, { domain: 'a.com', group: 'Helpdesk' })).toBe('Missing --roles <roles>');
    expect(problem(assign.schema, { domain: 'bad_domain', group: 'Helpdesk', roles: 'Global Reader' })).toMatch(/client domain "bad_domain" is not a valid domain name/);
  });

  test('user add: a UPN and --file is named before the file is opened', () => {
    expect(problem(userAdd.schema, { domain: 'contoso.com', upn: 'x@contoso.com', file: '/nonexistent/staff.csv' })).toBe('Give a UPN or --file, not both');
    expect(problem(userAdd.schema, { domain: 'contoso.com', file: '/nonexistent/staff.csv' })).toMatch(/^Cannot read \/nonexistent\/staff\.csv/);
    expect(problem(userAdd.schema, { domain: 'contoso.com', upn: 'not-a-upn' })).toMatch(/UPN "not-a-upn" is not a valid email address/);
    // No UPN yet: --name waits for it (the missing UPN is asked for, or named, first).
    expect(parseWith(userAdd.schema, { domain: 'contoso.com', name: '  ' })).toMatchObject({ domain: 'contoso.com' });
  });

  test('accept: --domain or --file; the file is opened only once the offer is named', () => {
    expect(problem(accept.schema, { ref: 'x', domain: 'a.com', file: 'c.csv' })).toBe('Give --domain (with --name, --tenant-id) or --file, not both');
    expect(parseWith(accept.schema, { file: '/nonexistent/clients.csv' })).toMatchObject({ file: '/nonexistent/clients.csv' });
    expect(parseWith(accept.schema, { domain: 'Contoso.COM' }).domain).toBe('contoso.com');
  });
});

describe('other nouns', () => {
  test('offer create: --live and --plan go with a granular offer', () => {
    expect(problem(offerCreate.schema, { live: true })).toMatch(/^--live goes with --granular/);
    expect(problem(offerCreate.schema, { plan: true })).toBe('--roles, --duration, --auto-extend, --name, --count and --plan go with --granular');
    expect(parseWith(offerCreate.schema, { granular: true, live: true })).toMatchObject({ granular: true, live: true, format: 'text' });
  });

  test('partner set: something to change', () => {
    expect(problem(partnerSet.schema, {})).toMatch(/^Nothing to change: give --name/);
  });
});

describe('a command line loads only the verb it names', () => {
  const ctx = { listFields: (c: Command) => c } as unknown as Context;
  const nouns = ['client', 'offer', 'user', 'group', 'template', 'partner', 'audit', 'login', 'access'];
  const tree = (c: Command): unknown => ({ name: c.name(), options: c.options.map((o) => o.flags), commands: c.commands.map(tree) });

  test.each(nouns)('%s: each verb alone is registered exactly as among all of them; a word that names none loads them all', async (noun) => {
    const { register } = (await import(`../../src/cli/commands/${noun}/index.js`)) as { register: (c: Command, x: Context, w?: readonly string[]) => Promise<void> };
    const all = new Command(noun);
    await register(all, ctx);
    expect(all.commands.length).toBeGreaterThan(0);
    for (const verb of all.commands) {
      const one = new Command(noun);
      // A global option and its value may stand between the noun and the verb.
      await register(one, ctx, ['--output', 'json', verb.name(), '--help']);
      expect(one.options.map((o) => o.flags)).toEqual(all.options.map((o) => o.flags));
      expect(one.commands.map(tree)).toEqual([tree(verb)]);
      for (const sub of verb.commands) {
        const leaf = new Command(noun);
        await register(leaf, ctx, [verb.name(), sub.name()]);
        expect(leaf.commands.map(tree)).toEqual([{ ...(tree(verb) as object), commands: [tree(sub)] }]);
      }
    }
    const typo = new Command(noun);
    await register(typo, ctx, ['no-such-verb']);
    expect(typo.commands.map(tree)).toEqual(all.commands.map(tree));
  });
});
