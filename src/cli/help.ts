/**
 * How `--help` is laid out (SPEC.md "The terminal and the docs"): wrapped at
 * the terminal's width, the extra text a command adds after its options
 * (notes, `Examples:`) included, since commander prints that text as given.
 * A line that is a command (`delegate ...`) is broken with a trailing ` \`
 * so it can still be pasted into a shell; prose keeps its indent. A word
 * longer than the width (a URL) overflows rather than being split.
 */
import type { Help } from 'commander';

/** The least room a description gets beside its term; with less, it goes on the lines below. */
const MIN_DESCRIPTION = 24;

/** What configureHelp takes: the width, and items whose term is too wide put their description below. */
export function helpLayout(width: number): Partial<Help> {
  return {
    helpWidth: width,
    minWidthToWrap: MIN_DESCRIPTION,
    formatItem(this: Help, term: string, termWidth: number, description: string, helper: Help): string {
      const room = width - termWidth - 4;
      if (!description || room >= MIN_DESCRIPTION) return Object.getPrototypeOf(this).formatItem.call(this, term, termWidth, description, helper);
      // A narrow terminal: the term on its line, the description below it, indented.
      const indent = '      ';
      return `  ${term}\n${indent}${helper.boxWrap(description, Math.max(width - indent.length, 20)).replace(/\n/g, `\n${indent}`)}`;
    },
  } as Partial<Help>;
}

/**
 * Help text wrapped at `width` columns. Lines that fit are kept as they are; a
 * paragraph (lines at the left margin, one after another) with a line too wide
 * is joined and wrapped as one, so it reads as prose rather than ragged halves.
 */
export function wrapHelp(text: string, width: number): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    if (/^\S/.test(lines[i]!)) while (j + 1 < lines.length && /^\S/.test(lines[j + 1]!) && !lines[j]!.endsWith(':')) j++;
    const group = lines.slice(i, j + 1);
    if (group.every((l) => visible(l) <= width)) out.push(...group);
    else if (group.length > 1) out.push(wrapLine(group.join(' '), width));
    else out.push(wrapLine(group[0]!, width));
    i = j + 1;
  }
  return out.join('\n');
}

/** Printed width, ignoring colour codes. */
function visible(line: string): number {
  return [...line.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

function wrapLine(line: string, width: number): string {
  const indent = /^ */.exec(line)![0];
  const body = line.slice(indent.length);
  // An example is indented; prose that begins with a command's name is still prose.
  const command = indent.length > 0 && /^(delegate|source|npx|\$) /.test(body);
  // A command continues with a trailing backslash; prose under a "- " bullet lines up with its text.
  const next = indent + (command ? '    ' : body.startsWith('- ') ? '  ' : '');
  const tail = command ? ' \\' : '';
  // A command's quoted argument stays whole (a break inside quotes would change it).
  const words = command ? body.match(/(?:"[^"]*"|'[^']*'|\S)+/g)! : body.split(/ +/);
  const out: string[] = [];
  let current = indent + words.shift()!;
  for (const word of words) {
    if (visible(current) + 1 + [...word].length + tail.length <= width) current += ' ' + word;
    else {
      out.push(current + tail);
      current = next + word;
    }
  }
  out.push(current);
  return out.join('\n');
}
