/** `delegate completion <shell>` and the hidden `delegate __complete -- <words...>` its scripts call. */
import type { Command } from 'commander';
import { listClients } from '../../../domain/client/clients.js';
import { UsageError } from '../../../domain/core/errors.js';
import { listGroups } from '../../../domain/access/groups.js';
import { listTemplates } from '../../../domain/offer/templates.js';
import { listOffers } from '../../../domain/offer/offers.js';
import { ROLES } from '../../../domain/relationship/roles.js';
import { complete, completionScript, SHELLS, type Shell, type ValueKind } from '../../completion.js';
import type { Context } from '../../context.js';
import { OUTPUTS, SETTING_KEYS } from '../../settings.js';

export function register(noun: Command, ctx: Context): void {
  noun
    .argument('<shell>', SHELLS.join(' | '))
    .addHelpText('after', '\nExamples:\n  source <(delegate completion bash)\n  delegate completion fish > ~/.config/fish/completions/delegate.fish')
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`Unknown shell "${shell}": use one of ${SHELLS.join(', ')}`);
      ctx.io.out(completionScript(shell as Shell));
    });
}

/** The hidden command: candidates for the last word, one a line. Never fails: a completion prints nothing rather than an error. */
export function registerComplete(program: Command, ctx: Context): void {
  program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      const db = words.indexOf('--db');
      if (db >= 0 && words[db + 1] !== undefined && db + 1 < words.length - 1) ctx.globals.db = words[db + 1];
      const values = async (kind: ValueKind): Promise<string[]> => {
        switch (kind) {
          case 'output':
            return [...OUTPUTS];
          case 'shell':
            return [...SHELLS];
          case 'setting':
            return [...SETTING_KEYS];
          case 'role':
            return ROLES.map((r) => r.name);
        }
        try {
          const s = await ctx.session();
          switch (kind) {
            case 'client':
              return (await listClients(s, {})).map((c) => c.domain);
            case 'offer':
              return (await listOffers(s, { all: false })).map((o) => o.id);
            case 'group':
              return (await listGroups(s)).map((g) => g.name);
            case 'template':
              return (await listTemplates(s)).map((t) => t.name);
          }
        } catch {
          return [];
        }
      };
      const found = await complete(program, words.length ? words : [''], values);
      if (found.length) ctx.io.out(found.join('\n') + '\n');
    });
}
