import { createHash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

/** Operator keys: admin (everything), analyst (read-only), support (reads and the support actions). */
export type OperatorRole = 'admin' | 'analyst' | 'support';
export const OPERATOR_ROLES: OperatorRole[] = ['admin', 'analyst', 'support'];
/** A partner's key acts for that partner only, within its scopes. */
export type Role = OperatorRole | 'partner';

export type Scope = 'activations:write' | 'usage:write' | 'members:read' | 'settlements:read';
export const SCOPES: Scope[] = ['activations:write', 'usage:write', 'members:read', 'settlements:read'];

export interface Principal {
  keyId: string;
  role: Role;
  /** Partner keys only. */
  partnerId?: string;
  scopes?: Scope[];
}

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (const byte of bytes) {
    // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
    if (byte < 248) out += BASE62[byte % 62];
    if (out.length === length) break;
  }
  return out;
}

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text)) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * Keys look like `tsk_admin_<32 random><6 checksum>` (partner keys `tsk_ptr_…`): recognisable to secret scanners,
 * and a mistyped key is refused by its checksum before any database look-up.
 */
export function generateKey(kind: string): string {
  let secret = '';
  while (secret.length < SECRET_LENGTH) secret += base62(randomBytes(48), SECRET_LENGTH - secret.length);
  const body = `tsk_${kind}_${secret}`;
  return body + checksum(body);
}

export function hasValidChecksum(key: string): boolean {
  if (key.length <= CHECKSUM_LENGTH + SECRET_LENGTH) return false;
  const body = key.slice(0, -CHECKSUM_LENGTH);
  return checksum(body) === key.slice(-CHECKSUM_LENGTH);
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What is shown of a key after creation: enough to recognise it, never enough to use it. */
export function keyPrefix(key: string): string {
  return `${key.slice(0, key.lastIndexOf('_') + 5)}…`;
}
