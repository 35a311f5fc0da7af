/**
 * Everything a command needs, passed in: I/O, prompter, clipboard, settings,
 * clock, interrupts, and the store (opened lazily, closed by main on every
 * exit path, after the command's cleanups).
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { clockFromEnv, systemClock, type Clock } from '../domain/core/clock.js';
import { CancelledError, UsageError } from '../domain/core/errors.js';
import { readingAs, readingAsLogin, refuseDeclaredActor, type Session } from '../domain/core/session.js';
import * as v from '../domain/core/validate.js';
import type { Store } from '../domain/core/store.js';
import type { Clipboard } from './clipboard.js';
import { Interrupts } from './interrupt.js';
import { canPrompt, useColor, type IO } from './io.js';
import { defaultDbPath } from './paths.js';
import type { Prompter } from './prompter.js';
import { fieldsOption, safeMessage, type RenderTarget } from './render.js';
import { OUTPUTS, type Output, type Settings } from './settings.js';

export interface Globals {
  db?: string;
  as?: string;
  output?: string;
  json?: boolean;
  input: boolean;
  yes: boolean;
  color: boolean;
  quiet: boolean;
}

export interface Deps {
  io: IO;
  env: NodeJS.ProcessEnv;
  prompter: () => Prompter;
  clipboard: () => Clipboard;
  settings: () => Promise<Settings>;
  /** Open a store; `migrate` (db migrate) brings a team store's schema up to date. */
  openStore: (path: string, opts: { create: boolean; migrate?: boolean }) => Promise<Store>;
  /** SIGINT, SIGTERM and SIGHUP as they arrive (default: none ever arrives). */
  interrupts?: Interrupts;
  /** The system clock (default: the machine's); tests may stand another in. DELEGATE_NOW pins over it. */
  clock?: Clock;
  /**
   * The process a command runs in, as the owner of its live intents (default: this machine and this
   * process's id). A harness running many commands in one process gives each its own, ended with it.
   */
  process?: ProcessId;
}

/** A process of a machine: who holds a live intent's lease (SPEC "Live mode, exactly once"). */
export interface ProcessId {
  host: string;
  pid: number;
}

/** How much of a committed command's output had been printed (for the interrupt message). */
export interface OutputReport {
  printed: number;
  total: number;
  /** What is counted, e.g. "result rows". */
  unit: string;
}

/** A value a command needs: as given, or (on a terminal) asked for with `message`. */
export interface Needed {
  value: string | undefined;
  flag: string;
  message: string;
  validate?: (v: string) => unknown;
}

export class Context {
  globals: Globals = { input: true, yes: false, color: true, quiet: false };
  /** A list command's --fields, checked (see render.ts fieldsOption). */
  fields?: string[];
  private store?: Store;
  private raw?: Store;
  /** Stores a command opens besides its own (db copy, db migrate), closed with it. */
  private others: Store[] = [];
  private settingsP?: Promise<Settings>;
  private clockV?: Clock;
  private cleanups: (() => void)[] = [];
  readonly interrupts: Interrupts;
  /** A write transaction of this command has committed. */
  committed = false;
  /** The outcome line has been printed (a forced stop must not print another). */
  reported = false;
  /** The command ran to its end (an interrupt noticed only afterwards cut nothing short). */
  finished = false;
  /** Set by output that is printed after the commit, piece by piece. */
  outputReport?: () => OutputReport;

  constructor(readonly deps: Deps) {
    this.interrupts = deps.interrupts ?? new Interrupts();
  }

  get io(): IO {
    return this.deps.io;
  }
  get env(): NodeJS.ProcessEnv {
    return this.deps.env;
  }

  settings(): Promise<Settings> {
    this.settingsP ??= this.deps.settings();
    return this.settingsP;
  }

  /** The process this command runs in (see Deps.process). */
  processId(): ProcessId {
    return this.deps.process ?? { host: hostname(), pid: process.pid };
  }

  clock(): Clock {
    this.clockV ??= this.env.DELEGATE_NOW ? clockFromEnv(this.env.DELEGATE_NOW) : (this.deps.clock ?? systemClock);
    return this.clockV;
  }

  canPrompt(): boolean {
    return canPrompt(this.io, this.globals.input);
  }

  color(stream: 'out' | 'err' = 'out'): boolean {
    return useColor(this.io, this.env, this.globals.color, stream);
  }

  /** --output / --json, then the `output` setting, then table on a terminal, plain otherwise. */
  async output(): Promise<Output> {
    if (this.globals.json) return 'json';
    if (this.globals.output !== undefined) return this.checkOutput(this.globals.output, '--output');
    const configured = (await this.settings()).get('output');
    if (configured) return this.checkOutput(configured, 'the output setting');
    return this.io.stdoutIsTTY ? 'table' : 'plain';
  }

  /** The output format, when known without loading settings (for errors). */
  outputHint(): Output | undefined {
    if (this.globals.json) return 'json';
    const o = this.globals.output;
    return o && (OUTPUTS as readonly string[]).includes(o) ? (o as Output) : undefined;
  }

  /** `--output html`: only `access show` asks (program.ts refuses it for every other command, exit 2). */
  htmlOutput(): boolean {
    return !this.globals.json && this.globals.output === 'html';
  }

  private checkOutput(value: string, what: string): Output {
    if (!(OUTPUTS as readonly string[]).includes(value)) throw new UsageError(`${what} must be one of ${OUTPUTS.join(', ')}, not "${value}"`);
    return value as Output;
  }

  async target(): Promise<RenderTarget> {
    const width = this.tableWidth();
    return {
      output: await this.output(),
      color: this.color('out'),
      write: (t) => this.io.out(t),
      note: (t) => this.note(t),
      ...(this.fields ? { fields: this.fields } : {}),
      ...(width ? { width } : {}),
    };
  }

  /** How wide a table may be: COLUMNS when set, else the terminal's width; unlimited when piped without COLUMNS. */
  tableWidth(): number | undefined {
    const fromEnv = Number(this.env.COLUMNS);
    if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
    return this.io.columns;
  }

  /** --db, DELEGATE_DB, the `db` setting, else a file in the user's data directory. */
  async dbPath(): Promise<string> {
    return this.globals.db || this.env.DELEGATE_DB || (await this.settings()).get('db') || defaultDbPath(this.env);
  }

  /**
   * Open the store (once) and describe who is acting. The declared actor is
   * validated on every command (exit 2); a command that only reads checks on
   * its first read that the actor is one of the partner's users (exit 3), as
   * a writing command does in its transaction (`actor: true`).
   */
  async session(opts: { create?: boolean; actor?: boolean } = {}): Promise<Session> {
    const actorEmail = await this.actor();
    if (!this.store) {
      this.raw = await this.deps.openStore(await this.dbPath(), { create: opts.create ?? false });
      this.store = this.guard(this.raw);
    }
    if (this.store.login !== undefined) {
      // A team store: the database login is who acts; a declared actor is refused (exit 4, audited).
      // SPEC "Who is acting"/"Safety": no login pins a team store's clock, its owner's neither; the time is the clock's.
      if (this.env.DELEGATE_NOW) {
        this.clock(); // a malformed time is named as such first
        throw new UsageError("DELEGATE_NOW is refused on a team store: its time is the clock's (unset it)");
      }
      const session: Session = { store: this.store, clock: this.clock() };
      if (actorEmail !== undefined) await refuseDeclaredActor(session, actorEmail, await this.actorSource());
      return opts.actor ? session : { ...session, store: readingAsLogin(this.store, session.clock) };
    }
    const store = actorEmail !== undefined && !opts.actor ? readingAs(this.store, actorEmail) : this.store;
    return { store, clock: this.clock(), ...(actorEmail !== undefined ? { actorEmail } : {}) };
  }

  /** Where the declared actor came from, for messages. */
  private async actorSource(): Promise<string> {
    if (this.globals.as !== undefined) return '--as';
    if (this.env.DELEGATE_AS) return 'DELEGATE_AS';
    return 'The actor setting';
  }

  /**
   * The declared actor: --as, DELEGATE_AS, the `actor` setting, validated
   * (exit 2 naming where it came from); undefined means the first global
   * admin. A declared identity, not a login: see docs/guide.md "Who is acting".
   */
  async actor(): Promise<string | undefined> {
    const declared = this.declaredActor();
    if (declared) return declared;
    const setting = (await this.settings()).get('actor');
    return setting === undefined ? undefined : v.email(setting, 'The actor setting');
  }

  /** --as or DELEGATE_AS, validated; checked before any command runs. */
  declaredActor(): string | undefined {
    if (this.globals.as !== undefined) return v.email(this.globals.as, '--as');
    if (this.env.DELEGATE_AS) return v.email(this.env.DELEGATE_AS, 'DELEGATE_AS');
    return undefined;
  }

  /**
   * The store, with two things added to each write: a signal that came
   * during the transaction rolls it back (checked just before COMMIT, which
   * follows synchronously), and a commit is remembered for the interrupt
   * message.
   */
  private guard(store: Store, rollBackOnSignal = true): Store {
    const interrupts = this.interrupts;
    const write: Store['write'] = async (fn, opts) => {
      const result = await store.write(async (tx) => {
        const value = await fn(tx);
        if (rollBackOnSignal) interrupts.check();
        return value;
      }, opts);
      this.committed = true;
      return result;
    };
    return new Proxy(store, {
      get(target, key) {
        if (key === 'write') return write;
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /**
   * The store for live mode's records: a write commits even when a signal has
   * come (what Microsoft did must reach the ledger), and is remembered for the
   * interrupt message. Only after `session()` opened the store.
   */
  recordingStore(): Store {
    if (!this.raw) throw new Error('recordingStore() before session()');
    return this.guard(this.raw, false);
  }

  /** Run `fn` when the command ends, however it ends (before the store is closed). */
  onClose(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Run the cleanups (progress bars, spools) now; synchronous, so it also serves a forced stop. */
  cleanUp(): void {
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch {
        // best effort: one failing cleanup must not keep the others from running
      }
    }
  }

  async close(): Promise<void> {
    this.cleanUp();
    const s = this.store;
    this.store = undefined;
    for (const o of this.others.splice(0)) await o.close().catch(() => undefined);
    await s?.close();
  }

  /** Open a store by name for a command that works on stores themselves (db copy, db migrate); closed with the command. */
  async openOther(path: string, opts: { create: boolean; migrate?: boolean }): Promise<Store> {
    const s = this.guard(await this.deps.openStore(path, opts));
    this.others.push(s);
    return s;
  }

  /** The one line that says what an interrupt left behind (SPEC: nothing written, or committed and how much was printed). */
  interruption(signal: string): string {
    const head = `Interrupted (${signal})`;
    if (!this.committed) return `${head}: nothing was written.`;
    const report = this.outputReport?.();
    if (report && report.printed < report.total) {
      const n = (x: number) => x.toLocaleString('en');
      return `${head} after the change was committed: ${n(report.printed)} of ${n(report.total)} ${report.unit} were printed.`;
    }
    if (report || this.finished) return `${head} after the change was committed; all of its output was printed.`;
    return `${head} after the change was committed; its output may be incomplete.`;
  }

  /** Give a list command `--fields <a,b,...>` over these JSON field names. */
  listFields<C extends Command>(cmd: C, valid: readonly string[]): C {
    fieldsOption(cmd, valid, (f) => (this.fields = f));
    return cmd;
  }

  /** A message for people (stderr); silent with --quiet. */
  note(text: string): void {
    if (this.globals.quiet) return;
    const line = text.endsWith('\n') ? text.slice(0, -1) : text;
    this.io.err(safeMessage(line) + '\n');
  }

  /** A value the user must give: the flag, else a prompt on a terminal, else exit 2 naming the flag. */
  async need(value: string | undefined, flag: string, message: string, validate?: (v: string) => unknown): Promise<string> {
    if (value !== undefined) return value;
    if (!this.canPrompt()) throw new UsageError(`Missing ${flag} (no terminal to ask on)`);
    return this.deps.prompter().input(message, {
      validate: validate
        ? (v) => {
            try {
              validate(v);
              return true;
            } catch (e) {
              return (e as Error).message;
            }
          }
        : undefined,
    });
  }

  /**
   * Several values a command needs: without a terminal, every missing one is
   * named in one exit-2 message (not one per run); on a terminal each missing
   * one is asked for, in order. Returns the values, given or answered.
   */
  async needAll<const T extends readonly Needed[]>(items: T): Promise<{ [K in keyof T]: string }> {
    // What was given is checked first: bad input is named before what is missing.
    for (const i of items) if (i.value !== undefined) i.validate?.(i.value);
    const missing = items.filter((i) => i.value === undefined);
    if (missing.length && !this.canPrompt()) throw new UsageError(`Missing ${missing.map((m) => m.flag).join(', ')} (no terminal to ask on)`);
    const out: string[] = [];
    for (const i of items) out.push(await this.need(i.value, i.flag, i.message, i.validate));
    return out as { [K in keyof T]: string };
  }

  /** Confirm a destructive action: --yes, else y/N on a terminal, else exit 2 naming --yes. */
  async confirm(question: string): Promise<void> {
    if (this.globals.yes) return;
    if (!this.canPrompt()) throw new UsageError(`${question.replace(/\?$/, '')}: not confirmed; pass --yes to confirm when not at a terminal`);
    const ok = await this.deps.prompter().confirm(safeMessage(question), { default: false });
    if (!ok) throw new CancelledError();
  }

  /** Put text on the clipboard, best effort; say so either way. */
  async copy(text: string, what: string): Promise<void> {
    const skipped = await this.deps.clipboard().copy(text);
    this.note(skipped ? `Copy skipped (${skipped}); the ${what} is printed above.` : `Copied the ${what} to the clipboard.`);
  }
}
