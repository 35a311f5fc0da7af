/**
 * `delegate client ...`: one file per verb (options schema, run, view,
 * register); this file only lists them, in the order `client --help` shows.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { subNoun } from '../../command.js';
import * as accept from './accept.js';
import * as list from './list.js';
import * as show from './show.js';
import * as remove from './remove.js';
import * as terminate from './terminate.js';
import * as extend from './extend.js';
import * as removeRole from './remove-role.js';
import * as assign from './assign.js';
import * as drift from './drift.js';
import * as unassign from './unassign.js';
import * as userAdd from './user-add.js';
import * as userList from './user-list.js';
import * as userResetPassword from './user-reset-password.js';
import * as userRemove from './user-remove.js';
import * as domainAdd from './domain-add.js';
import * as domainVerify from './domain-verify.js';
import * as domainRemove from './domain-remove.js';
import * as domainList from './domain-list.js';
import * as mdm from './mdm.js';

export function register(client: Command, ctx: Context): void {
  for (const verb of [accept, list, show, remove, terminate, extend, removeRole, assign, drift, unassign]) verb.register(client, ctx);
  subNoun(client, 'user', "Act on a client's users (after it accepted)", ctx, [userAdd.register, userList.register, userResetPassword.register, userRemove.register]);
  subNoun(client, 'domain', "Act on a client's domains (after it accepted)", ctx, [domainAdd.register, domainVerify.register, domainRemove.register, domainList.register]);
  mdm.register(client, ctx);
}
