/** `delegate config get|set|list` (keys: SETTING_KEYS in settings.ts). */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { renderList, renderOne, terminalSafe } from '../../render.js';
import { SETTING_KEYS, settingKey, settingValue, type SettingKey } from '../../settings.js';
import type { View } from '../../render.js';

interface Setting {
  key: SettingKey;
  value: string | null;
}

const settingView: View<Setting> = {
  table: { key: ['key', 'value'] },
  columns: [
    { header: 'key', value: (s) => s.key },
    { header: 'value', value: (s) => s.value },
  ],
  json: (s) => ({ key: s.key, value: s.value }),
};

export function register(noun: Command, ctx: Context): void {
  const config = noun;
  config
    .command('get')
    .description('Print a setting')
    .addHelpText('after', '\nExamples:\n  delegate config get mode')
    .argument('<key>', SETTING_KEYS.join(' | '))
    .action(async (key: string) => {
      const k = settingKey(key);
      const value = (await ctx.settings()).get(k) ?? null;
      const target = await ctx.target();
      if (target.output === 'plain' || target.output === 'table') {
        if (value !== null) target.write(terminalSafe(value) + '\n');
        else ctx.note(`${k} is not set.`);
      } else await renderOne(target, settingView, { key: k, value });
    });
  config
    .command('set')
    .description('Change a setting')
    .addHelpText('after', '\nExamples:\n  delegate config set actor grace@fabrikam.com\n  delegate config set mode live')
    .argument('<key>', SETTING_KEYS.join(' | '))
    .argument(
      '<value>',
      'the value (actor: an email; output: table, json, csv or plain; db: a store file or postgres:// URL; mode: offline or live; live.settle: seconds; live.limits.tenantRelationships: requests per 20 s; live.limits.identity: resource units per 10 s; live.limits.partnerCenter: requests per minute; live.concurrency: requests in flight per service; live.tenantSize: small, medium or large)',
    )
    .action(async (key: string, value: string) => {
      const k = settingKey(key);
      const val = settingValue(k, value);
      const settings = await ctx.settings();
      await settings.set(k, val);
      ctx.note(`${k} = ${val} (in ${settings.path})`);
    });
  config
    .command('unset')
    .description('Remove a setting')
    .addHelpText('after', '\nExamples:\n  delegate config unset actor')
    .argument('<key>', SETTING_KEYS.join(' | '))
    .action(async (key: string) => {
      const k = settingKey(key);
      await (await ctx.settings()).unset(k);
      ctx.note(`${k} unset.`);
    });
  config
    .command('list')
    .description('List the settings')
    .addHelpText('after', '\nExamples:\n  delegate config list\n  delegate config list --json')
    .action(async () => {
      const all = (await ctx.settings()).all();
      await renderList(await ctx.target(), settingView, SETTING_KEYS.map((key) => ({ key, value: all[key] ?? null })));
    });
}
