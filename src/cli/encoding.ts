/**
 * Input files are UTF-8 (a byte order mark is allowed) or UTF-16 with a byte
 * order mark, little or big endian. Windows PowerShell writes a byte order
 * mark with every Unicode encoding but UTF-7
 * (https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_character_encoding?view=powershell-5.1);
 * that its `>` and `Out-File` write UTF-16 LE by default is widely reported
 * but was not confirmed on a Microsoft page here. Anything else is refused,
 * naming the line, rather than read as replacement characters (invalid
 * UTF-8) or as text with a NUL between every letter (UTF-16 without a byte
 * order mark).
 *
 * `decodeInput` turns the file's bytes into UTF-8 for the CSV parser, as a
 * stream: a large file is never held in memory.
 */
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { UsageError } from '../domain/core/errors.js';

type Encoding = 'utf8' | 'utf16le' | 'utf16be';

const NEWLINE = 0x0a;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function countNewlines(buf: Buffer, end = buf.length): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1 && i < end; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/** Bytes a UTF-8 sequence starting with `lead` takes, or 0 when it cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Where the complete sequences of `buf` end: a sequence cut by the end of the chunk waits for the next one. */
function completeEnd(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = sequenceLength(b);
    return need > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

/** The offset of the first byte that is not part of valid UTF-8 (only called once isUtf8 said there is one). */
function firstInvalid(buf: Buffer): number {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  // Walk the decoded text and the bytes together; a replacement character that the bytes do not spell (EF BF BD) is the fault.
  let offset = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const len = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (code === 0xfffd && !(buf[offset] === 0xef && buf[offset + 1] === 0xbf && buf[offset + 2] === 0xbd)) return offset;
    offset += len;
  }
  return buf.length;
}

export function decodeInput(name: string): Transform {
  let encoding: Encoding | undefined;
  let head = Buffer.alloc(0); // the first bytes, until the byte order mark (or its absence) is known
  let carry = Buffer.alloc(0); // an incomplete sequence (UTF-8) or code unit (UTF-16) at the end of the last chunk
  let lines = 0; // newlines before `carry`
  let pendingHigh = ''; // UTF-16: a high surrogate waiting for its low half

  const fault = (extraLines: number, what: string): UsageError => new UsageError(`${name} line ${lines + extraLines + 1}: ${what}`);
  const NOT_UTF8 = 'not valid UTF-8 text: save the file as UTF-8 (or UTF-16 with a byte order mark)';
  const NUL = 'holds a NUL byte: a UTF-16 file needs a byte order mark (or save it as UTF-8)';

  const utf8 = (chunk: Buffer, final: boolean): Buffer => {
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const end = final ? buf.length : completeEnd(buf);
    const body = buf.subarray(0, end);
    carry = Buffer.from(buf.subarray(end));
    const nul = body.indexOf(0);
    if (!isUtf8(body)) {
      const bad = firstInvalid(body);
      if (nul !== -1 && nul < bad) throw fault(countNewlines(body, nul), NUL);
      throw fault(countNewlines(body, bad), NOT_UTF8);
    }
    if (nul !== -1) throw fault(countNewlines(body, nul), NUL);
    lines += countNewlines(body);
    return body;
  };

  const utf16 = (chunk: Buffer, final: boolean, bigEndian: boolean): Buffer => {
    let buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const even = buf.length - (buf.length % 2);
    if (final && even !== buf.length) throw fault(0, 'UTF-16 text with an odd number of bytes: the file is cut short');
    carry = Buffer.from(buf.subarray(even));
    buf = Buffer.from(buf.subarray(0, even)); // a copy: swap16 works in place
    if (bigEndian) buf.swap16();
    let text = pendingHigh + buf.toString('utf16le');
    pendingHigh = '';
    const last = text.charCodeAt(text.length - 1);
    if (!final && last >= 0xd800 && last <= 0xdbff) {
      pendingHigh = text.slice(-1);
      text = text.slice(0, -1);
    }
    const bad = text.search(LONE_SURROGATE);
    if (bad !== -1) throw fault(text.slice(0, bad).split('\n').length - 1, 'not valid UTF-16 text (half of a surrogate pair)');
    const out = Buffer.from(text, 'utf8');
    lines += countNewlines(out);
    return out;
  };

  const convert = (chunk: Buffer, final: boolean): Buffer => (encoding === 'utf8' ? utf8(chunk, final) : utf16(chunk, final, encoding === 'utf16be'));

  /** Decide the encoding once 3 bytes (or the whole input) are in; returns what follows the byte order mark. */
  const sniff = (chunk: Buffer, final: boolean): Buffer | undefined => {
    head = Buffer.concat([head, chunk]);
    if (head.length < 3 && !final) return undefined;
    let skip = 0;
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) [encoding, skip] = ['utf8', 3];
    else if (head[0] === 0xff && head[1] === 0xfe) [encoding, skip] = ['utf16le', 2];
    else if (head[0] === 0xfe && head[1] === 0xff) [encoding, skip] = ['utf16be', 2];
    else encoding = 'utf8';
    return head.subarray(skip);
  };

  return new Transform({
    transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback) {
      try {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        const rest = encoding ? bytes : sniff(bytes, false);
        if (rest !== undefined) {
          const out = convert(rest, false);
          if (out.length) this.push(out);
        }
        done();
      } catch (e) {
        done(e as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        const rest = encoding ? Buffer.alloc(0) : sniff(Buffer.alloc(0), true)!;
        const out = convert(rest, true);
        if (out.length) this.push(out);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
}
