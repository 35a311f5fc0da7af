/**
 * node:crypto, loaded on first use: it pulls in Node's stream and cipher
 * modules, which costs start-up time that commands only reading the store
 * never need (docs/performance.md).
 */
import { createRequire } from 'node:module';
import type * as NodeCrypto from 'node:crypto';

let loaded: typeof NodeCrypto | undefined;
const crypto = (): typeof NodeCrypto => (loaded ??= createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto);

export const randomUUID = (): string => crypto().randomUUID();
export const createHash = (algorithm: string): NodeCrypto.Hash => crypto().createHash(algorithm);
export const randomInt = (max: number): number => crypto().randomInt(max);
