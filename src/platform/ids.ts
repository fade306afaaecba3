import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

function encodeTime(time: number): string {
  let t = time;
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encode(bytes: Uint8Array, time: number): string {
  let out = encodeTime(time);
  // 80 random bits → 16 base32 characters.
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = new Uint8Array(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

// Random bytes are drawn from the OS 4 KiB at a time: one call per id would cost a system call
// on every request of the write path.
let pool = randomBytes(4096);
let poolOffset = 0;

function random10(): Uint8Array {
  if (poolOffset + 10 > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const bytes = new Uint8Array(pool.subarray(poolOffset, poolOffset + 10));
  poolOffset += 10;
  return bytes;
}

/**
 * Sortable ids (ULID layout) with a type prefix, monotonic within a process so that
 * cursor pagination by id follows creation order.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now <= lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = random10();
  }
  return `${prefix}_${encode(lastRandom, lastTime)}`;
}

/** The smallest id with this prefix made at `time` (epoch ms): every id made then or later sorts at or after it. */
export function idFloor(prefix: string, time: number): string {
  return `${prefix}_${encodeTime(Math.max(0, time))}`;
}

export function hasPrefix(id: string, prefix: string): boolean {
  return id.startsWith(`${prefix}_`) && id.length === prefix.length + 27;
}
