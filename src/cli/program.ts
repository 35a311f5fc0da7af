/**
 * The root command and its global options. Each noun's commands are loaded
 * only when that noun is invoked, so --help, --version and a bad flag stay fast.
 */
import { Command, Option } from 'commander';
import type { Context } from './context.js';
import { VERSION } from '../version.js';
import { UsageError } from '../domain/errors.js';

type Loader = () => Promise<{ register(parent: Command, ctx: Context): void }>;

export const NOUNS: Record<string, { description: string; load: Loader }> = {
  init: { description: 'Set up the partner and its first global admin', load: () => import('./commands/init.js') },
  partner: { description: 'Show or change the partner', load: () => import('./commands/partner/index.js') },
  user: { description: "Manage the partner's users and their admin access", load: () => import('./commands/user/index.js') },
  offer: { description: 'Create, print, list and revoke delegated administration offers', load: () => import('./commands/offer/index.js') },
  client: { description: 'Record acceptances and manage client organizations', load: () => import('./commands/client/index.js') },
  role: { description: 'Microsoft Entra roles for granular relationships', load: () => import('./commands/role/index.js') },
  template: { description: 'Templates for granular offers', load: () => import('./commands/template/index.js') },
  group: { description: 'Security groups that receive roles on granular relationships', load: () => import('./commands/group/index.js') },
  inbox: { description: 'Notifications: clients that accepted your offers', load: () => import('./commands/inbox/index.js') },
  audit: { description: 'The tamper-evident audit trail: list and verify', load: () => import('./commands/audit/index.js') },
  config: { description: 'Get and set settings (actor, output)', load: () => import('./commands/config/index.js') },
  login: { description: 'Sign in to Microsoft (live mode); `login status` to check', load: () => import('./commands/login/index.js') },
  logout: { description: 'Forget the Microsoft sign-in (removes the token cache)', load: () => import('./commands/login/index.js').then((m) => ({ register: m.registerLogout })) },
};

const VALUE_OPTIONS = new Set(['--db', '--as', '--output']);

/** The noun a command line invokes (skipping global options and their values). */
export function nounOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    if (a === 'help') return argv.slice(i + 1).find((x) => !x.startsWith('-'));
    return a;
  }
  return undefined;
}


export async function buildProgram(ctx: Context, argv: readonly string[]): Promise<Command> {
  const program = new Command('delegate').description('Delegated administration for Microsoft Cloud Partners: offers, client acceptance and admin access');
  // --version stands alone. Registered as commander's version flag only then, so that
  // `--name -V` is a missing value (exit 2), not a silent print of the version.
  if (argv[0] === '-V' || argv[0] === '--version') program.version(VERSION, '-V, --version', 'print the version');
  else program.option('-V, --version', 'print the version');
  program
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--db <path>', 'the store file (env DELEGATE_DB; default: in your data directory)'))
    .addOption(new Option('--as <email>', 'act as this partner user (env DELEGATE_AS; default: setting actor, else the first global admin)'))
    .addOption(new Option('--output <format>', 'table | json | csv | plain (default: table on a terminal, plain otherwise)'))
    .option('--json', 'same as --output json')
    .option('--no-input', 'never prompt; a missing value is an error')
    .option('-y, --yes', 'confirm destructive actions')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .option('-q, --quiet', 'print only data and errors')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: () => {
        /* main prints errors, in the chosen format */
      },
    });
  program.hook('preAction', (_this, action) => {
    const o = action.optsWithGlobals() as Record<string, unknown>;
    if (o.version) throw new UsageError('--version stands alone: run `delegate --version`');
    ctx.globals = {
      db: o.db as string | undefined,
      as: o.as as string | undefined,
      output: o.output as string | undefined,
      json: Boolean(o.json),
      input: o.input !== false,
      yes: Boolean(o.yes),
      color: o.color !== false,
      quiet: Boolean(o.quiet),
    };
    ctx.declaredActor(); // --as and DELEGATE_AS are input: exit 2 on every command, before it runs
  });
  const wanted = nounOf(argv);
  for (const [name, noun] of Object.entries(NOUNS)) {
    if (name === wanted) {
      const mod = await noun.load();
      mod.register(program, ctx);
    } else {
      program.command(name).description(noun.description).allowUnknownOption().allowExcessArguments();
    }
  }
  return program;
}

/** Register a noun (a command with subcommands) and apply the shared settings. */
export function nounCommand(parent: Command, name: string): Command {
  const d = NOUNS[name]!;
  return parent.command(name).description(d.description);
}
