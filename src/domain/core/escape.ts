/**
 * Text that came from outside (stored values, Microsoft's answers) made safe
 * to print: pure functions, used by the renderer (src/cli/render.ts) and by
 * the errors that quote Microsoft (src/microsoft/errors.ts).
 */

/*
 * Nothing stored can drive the terminal (SPEC "Behaviour every command
 * keeps"). C0 controls, DEL and C1 controls (ESC, and CSI as U+009B) can move
 * the cursor, clear the screen or retitle the window; bidirectional overrides
 * and isolates (U+202A-202E, U+2066-2069) can make text read differently from
 * what it is; line and paragraph separators (U+2028, U+2029) can break a line.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_OR_BACKSLASH = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_OR_BACKSLASH_ALL = new RegExp(UNSAFE_OR_BACKSLASH.source, 'g');
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const SHORT: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };

function escapeOne(ch: string): string {
  const short = SHORT[ch];
  if (short) return short;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A field as table and plain output show it: control characters and
 * bidirectional overrides escaped (`\x1b`, `\u202e`, `\t`, `\n`, `\r`), and a
 * literal backslash doubled, so the escaped text cannot be mistaken for it.
 */
export function terminalSafe(text: string): string {
  // Testing first is several times faster than a replace that finds nothing, and most fields hold nothing to escape.
  return UNSAFE_OR_BACKSLASH.test(text) ? text.replace(UNSAFE_OR_BACKSLASH_ALL, escapeOne) : text;
}

/**
 * A message for people on stderr (errors, notes) that may quote a value:
 * the same characters escaped, backslashes left alone (a message is prose,
 * not a field to be read back), so it stays one line and cannot drive the terminal.
 */
export function safeMessage(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeOne) : text;
}

/** Text for people that spans lines (an offer to paste into an email): safeMessage, line by line. */
export function safeText(text: string): string {
  return UNSAFE.test(text) ? text.split('\n').map(safeMessage).join('\n') : text;
}
