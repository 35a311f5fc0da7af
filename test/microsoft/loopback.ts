/**
 * A small loopback HTTP server whose answers each test writes itself (a
 * trickling body, a page that never ends, a canned answer of any shape), and
 * a client pointed at it whose sleeps and clock are fake: a wait moves the
 * clock and is recorded, never waited.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MicrosoftClient, staticToken, type ClientOptions, type RetryEvent } from '../../src/microsoft/client.js';
import { CLOUDS } from '../../src/microsoft/endpoints.js';

export interface Seen {
  method: string;
  /** The path after the Graph version (`/users`), or the whole path for other services. */
  path: string;
  query: string;
  body: unknown;
}

export type Handler = (req: IncomingMessage & { seen: Seen }, res: ServerResponse) => void;

export interface Loopback {
  url: string;
  /** How the next requests are answered (default: 404). */
  handle: Handler;
  seen: Seen[];
  close(): Promise<void>;
}

export async function startLoopback(): Promise<Loopback> {
  const sockets = new Set<Socket>();
  const lb: Loopback = {
    url: '',
    seen: [],
    handle: (_req, res) => json(res, 404, { error: { code: 'NotFound', message: 'nothing here' } }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://loopback');
    const seen: Seen = { method: req.method ?? 'GET', path: url.pathname.replace(/^\/v1\.0/, ''), query: url.search, body: text ? JSON.parse(text) : undefined };
    lb.seen.push(seen);
    lb.handle(Object.assign(req, { seen }), res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  lb.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return lb;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export interface TestClient {
  client: MicrosoftClient;
  /** Every wait the client asked for, in ms (none is waited). */
  waits: number[];
  retries: RetryEvent[];
  /** The client's clock (ms since the epoch): it moves only by the waits. */
  now(): number;
}

export const T0 = Date.parse('2026-03-01T12:00:00Z');

/** A client for the loopback server (Graph and Partner Center both there), with a fake clock and sleep. */
export function testClient(lb: Loopback, extra: Partial<ClientOptions> = {}): TestClient {
  let clock = T0;
  const t: TestClient = {
    waits: [],
    retries: [],
    now: () => clock,
    client: undefined as unknown as MicrosoftClient,
  };
  t.client = new MicrosoftClient({
    endpoints: { ...CLOUDS.global, cloud: 'global', graph: lb.url, partnerCenter: lb.url },
    tokens: staticToken('t'),
    sleep: async (ms) => {
      t.waits.push(ms);
      clock += ms;
    },
    now: () => clock,
    random: () => 0.5,
    onRetry: (e) => t.retries.push(e),
    ...extra,
  });
  return t;
}

/** The error a promise rejects with (a test fails if it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}
