/**
 * Run the built CLI on a real pseudo-terminal (Python's `pty` module; python3
 * is on every machine this project supports), so the real prompt adapter and
 * progress bar run, and a typed Ctrl-C goes through the terminal's line
 * discipline as it would for a person.
 */
import { spawn } from 'node:child_process';
import { BIN } from './cli.js';

export interface PtyRun {
  /** The exit status (128 + n when killed by signal n). */
  code: number;
  /** Whether `waitFor` was seen (and `send` typed). */
  acted: boolean;
  /** Everything the terminal showed (stdout and stderr share it). */
  output: string;
}

const DRIVER = String.raw`
import fcntl, json, os, pty, re, signal, struct, sys, termios
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    if spec.get('size'):
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack('HHHH', spec['size']['rows'], spec['size']['columns'], 0, 0))
    os.execve(spec['argv'][0], spec['argv'], spec['env'])
out = b''
acted = False
pattern = re.compile(spec['waitFor'].encode())
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
    if not acted and pattern.search(out):
        acted = True
        if spec['send'].startswith('SIG'):
            os.kill(pid, getattr(signal, spec['send']))
        else:
            os.write(fd, spec['send'].encode())
_, status = os.waitpid(pid, 0)
print(json.dumps({'code': os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + os.WTERMSIG(status), 'acted': acted, 'output': out.decode('utf-8', 'replace')}))
`;

/**
 * Run `delegate <args>` on a terminal; when its output first matches `waitFor`, type `send` (or send that signal: "SIGTERM").
 * `size`: the terminal's own size (its window size, as a resized terminal reports it), with no COLUMNS or LINES set.
 */
export function runOnPty(args: string[], env: NodeJS.ProcessEnv, waitFor: RegExp, send: string, size?: { columns: number; rows: number }): Promise<PtyRun> {
  const base: NodeJS.ProcessEnv = size ? { TERM: 'xterm' } : { TERM: 'xterm', COLUMNS: '100', LINES: '30' };
  const spec = { argv: [process.execPath, BIN, ...args], env: { ...base, ...env }, waitFor: waitFor.source, send, ...(size ? { size } : {}) };
  return new Promise((resolve, reject) => {
    const py = spawn('python3', ['-c', DRIVER, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    py.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    py.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    py.on('error', reject);
    py.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pty driver failed (${code}): ${stderr}`));
      resolve(JSON.parse(stdout) as PtyRun);
    });
  });
}
