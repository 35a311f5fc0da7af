/**
 * The root command and its global options. Each noun's commands are loaded
 * only when that noun is invoked, so --help, --version and a bad flag stay fast.
 * The root makes each noun's command (name and description) and hands it to
 * the noun's `register`: command files never import this module.
 */
import { Command, Option } from 'commander';
import type { Context } from './context.js';
import type { RegisterNoun } from './command.js';
import { VERSION } from '../version.js';
import { UsageError } from '../domain/core/errors.js';
import { helpLayout, wrapHelp } from './help.js';

type Loader = () => Promise<{ register: RegisterNoun }>;

/** The headings the top-level help groups the nouns under, in order. */
const GROUPS = {
  start: 'Getting started:',
  offers: 'Offers and clients:',
  granular: 'Granular relationships (GDAP):',
  live: 'Live mode (Microsoft):',
  check: 'Checks and records:',
  setup: 'Settings and the store:',
} as const;

export const NOUNS: Record<string, { description: string; group: keyof typeof GROUPS; load: Loader }> = {
  init: { description: 'Set up the partner and its first global admin (with full admin access)', group: 'start', load: () => import('./commands/init.js') },
  partner: { description: 'Show or change the partner', group: 'start', load: () => import('./commands/partner/index.js') },
  user: { description: "Manage the partner's users and their admin access", group: 'start', load: () => import('./commands/user/index.js') },
  offer: { description: 'Create, print, list and revoke delegated administration offers', group: 'offers', load: () => import('./commands/offer/index.js') },
  client: { description: 'Record acceptances and manage client organizations', group: 'offers', load: () => import('./commands/client/index.js') },
  inbox: { description: 'Notifications: clients that accepted your offers', group: 'offers', load: () => import('./commands/inbox/index.js') },
  role: { description: 'Microsoft Entra roles for granular relationships', group: 'granular', load: () => import('./commands/role/index.js') },
  template: { description: 'Templates for granular offers', group: 'granular', load: () => import('./commands/template/index.js') },
  group: { description: 'Security groups that receive roles on granular relationships', group: 'granular', load: () => import('./commands/group/index.js') },
  access: { description: "Who can do what in which client, why someone can't, and just-in-time membership (PIM for Groups)", group: 'granular', load: () => import('./commands/access/index.js') },
  login: { description: 'Sign in to Microsoft (live mode); `login status` to check', group: 'live', load: () => import('./commands/login/index.js') },
  logout: { description: 'Forget the Microsoft sign-in (removes the token cache)', group: 'live', load: () => import('./commands/login/logout.js') },
  sync: { description: 'Reconcile the ledger with Microsoft (live mode): relationships, clients, agent users', group: 'live', load: () => import('./commands/sync/index.js') },
  pending: { description: 'Changes sent to Microsoft whose outcome is not recorded yet (live mode)', group: 'live', load: () => import('./commands/pending/index.js') },
  recover: { description: 'Read pending changes back at Microsoft and record what happened (live mode)', group: 'live', load: () => import('./commands/recover/index.js') },
  doctor: { description: 'What stands between you and working access, per client, with the command that fixes each', group: 'check', load: () => import('./commands/doctor/index.js') },
  audit: { description: 'The tamper-evident audit trail: list and verify', group: 'check', load: () => import('./commands/audit/index.js') },
  config: { description: 'Get and set settings (actor, output, mode)', group: 'setup', load: () => import('./commands/config/index.js') },
  db: { description: 'The store itself: migrate its schema, grant a login (team store), copy a ledger', group: 'setup', load: () => import('./commands/db/index.js') },
  completion: { description: 'Print a shell completion script: bash, zsh, fish or powershell', group: 'setup', load: () => import('./commands/completion/index.js') },
};

/** The last lines of the top-level help: where to read more (wrapped at the terminal's width). */
export const DOCS_POINTER =
  "\nRun `delegate <command> --help` for a command's options and examples. README.md is the guide to start with; docs/ has every command's help (docs/commands.md) and the guides to GDAP, live mode, scripting and team stores.";

/** The hidden command completion scripts call on every <Tab>. */
export const COMPLETE = '__complete';

const VALUE_OPTIONS = new Set(['--db', '--as', '--output']);

/** The noun a command line invokes (skipping global options and their values). */
export function nounOf(argv: readonly string[]): string | undefined {
  return nounAt(argv)?.noun;
}

/** The noun a command line invokes and the words after it (`help <noun> <verb>` too). */
function nounAt(argv: readonly string[]): { noun: string | undefined; rest: readonly string[] } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { noun: argv[i + 1], rest: argv.slice(i + 2) };
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    if (a === 'help') {
      const words = argv.slice(i + 1).filter((x) => !x.startsWith('-'));
      return { noun: words[0], rest: words.slice(1) };
    }
    return { noun: a, rest: argv.slice(i + 1) };
  }
  return undefined;
}


export async function buildProgram(ctx: Context, argv: readonly string[]): Promise<Command> {
  const helpWidth = ctx.tableWidth() ?? 80;
  const program = new Command('delegate').description('Delegated administration for Microsoft Cloud Partners: offers, client acceptance and admin access');
  // --version stands alone. Registered as commander's version flag only then, so that
  // `--name -V` is a missing value (exit 2), not a silent print of the version.
  if (argv[0] === '-V' || argv[0] === '--version') program.version(VERSION, '-V, --version', 'print the version');
  else program.option('-V, --version', 'print the version');
  program
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--db <path>', 'the store file (env DELEGATE_DB; default: in your data directory)'))
    .addOption(new Option('--as <email>', 'act as this partner user (env DELEGATE_AS; default: setting actor, else the first global admin)'))
    .addOption(new Option('--output <format>', 'table | json | csv | plain (default: table on a terminal, plain otherwise); html for `access show` only'))
    .option('--json', 'same as --output json')
    .option('--no-input', 'never prompt; a missing value is an error')
    .option('-y, --yes', 'confirm destructive actions')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .option('-q, --quiet', 'print only data and errors')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Help wraps at the terminal's width (COLUMNS, else the terminal's; 80 when piped); every command inherits this.
    .configureHelp(helpLayout(helpWidth))
    .configureOutput({
      writeOut: (s) => ctx.io.out(wrapHelp(s, helpWidth)),
      writeErr: (s) => ctx.io.err(s),
      outputError: () => {
        /* main prints errors, in the chosen format */
      },
    });
  program.hook('preAction', (_this, action) => {
    const o = action.optsWithGlobals() as Record<string, unknown>;
    if (o.version) throw new UsageError('--version stands alone: run `delegate --version`');
    // Only the access matrix is a page; everywhere else html is refused before the command runs.
    if (o.output === 'html' && !o.json && !(action.name() === 'show' && action.parent?.name() === 'access')) {
      throw new UsageError('--output html is only for `delegate access show` (the access matrix as one page); other commands print table, json, csv or plain');
    }
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
  const at = nounAt(argv);
  const wanted = at?.noun;
  // Completing a command line needs the whole tree (it is walked, never listed by hand).
  const all = wanted === COMPLETE;
  for (const [name, noun] of Object.entries(NOUNS)) {
    const cmd = program.command(name).description(noun.description).helpGroup(GROUPS[noun.group]);
    // The words after the noun let it load only the verb they name.
    if (all || name === wanted) await (await noun.load()).register(cmd, ctx, all ? undefined : at?.rest);
    else cmd.allowUnknownOption().allowExcessArguments();
  }
  // Added after the nouns were made, which would otherwise inherit it (and its group).
  program.addHelpCommand(program.createCommand('help').helpOption(false).argument('[command]').description('show help for a command').helpGroup(GROUPS.setup));
  program.addHelpText('after', DOCS_POINTER);
  if (all) (await import('./commands/completion/index.js')).registerComplete(program, ctx);
  return program;
}

/** The root's boolean short flags: an argument like `-yq` is a group of them. */
const ROOT_SHORT_FLAGS = new Set(['y', 'q', 'h', 'V']);
/** The root's boolean long flags, which commander also takes out of any argument. */
const ROOT_LONG_FLAGS = new Set(['--json', '--no-input', '--yes', '--no-color', '--quiet', '--version', '--help']);

/**
 * Commander lets the root program take its short flags out of any argument,
 * even one that is the value of a subcommand's option: `--name -ymB` would
 * lose "-y" to --yes and store "-mB" (found by the property tests). A
 * dash-led value that is not a group of the root's short flags is attached
 * to the value option before it (`--name=-ymB`), so it reaches that option
 * whole. A root long flag after a value option (`--name --json --global-admin`)
 * is that flag, so the value is missing (exit 2): left to commander, the root
 * would take `--json` and `--name` the next argument ("--global-admin").
 */
export function protectDashValues(program: Command, argv: readonly string[]): string[] {
  const valueOptions = new Map<string, string>();
  const walk = (c: Command): void => {
    for (const o of c.options) if ((o.required || o.optional) && o.long) valueOptions.set(o.long, o.flags);
    c.commands.forEach(walk);
  };
  walk(program);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (valueOptions.has(a) && next !== undefined && ROOT_LONG_FLAGS.has(next)) throw new UsageError(`Option '${valueOptions.get(a)}' argument missing`);
    if (valueOptions.has(a) && next !== undefined && /^-[^-]./.test(next) && ![...next.slice(1)].every((ch) => ROOT_SHORT_FLAGS.has(ch))) {
      out.push(`${a}=${next}`);
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}
