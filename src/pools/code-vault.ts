import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Partner codes at rest: AES-256-GCM with a fresh IV per code, and an HMAC of the code for
 * de-duplication and look-up, so the clear code is never stored or indexed.
 */
export class CodeVault {
  private readonly encryptionKey: Buffer;
  private readonly fingerprintKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the code key must be 32 bytes');
    this.encryptionKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera code encryption v1', 32));
    this.fingerprintKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera code fingerprint v1', 32));
  }

  /** Random IVs drawn a thousand at a time: one call to the random source instead of one per code. */
  private ivs = Buffer.alloc(0);
  private ivAt = 0;

  private nextIv(): Buffer {
    if (this.ivAt + IV_BYTES > this.ivs.length) {
      this.ivs = randomBytes(IV_BYTES * 1024);
      this.ivAt = 0;
    }
    const iv = this.ivs.subarray(this.ivAt, this.ivAt + IV_BYTES);
    this.ivAt += IV_BYTES;
    return iv;
  }

  seal(code: string): string {
    const iv = this.nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** A value that tells keys apart without revealing them: stored once per installation. */
  checkValue(): string {
    return createHmac('sha256', this.fingerprintKey).update('tessera code key check v1').digest('base64url');
  }

  fingerprint(code: string): string {
    return createHmac('sha256', this.fingerprintKey).update(code, 'utf8').digest('base64url');
  }
}

function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('TESSERA_CODE_KEY must be 32 bytes, as 64 hex characters or base64');
  return key;
}

/**
 * The configured key, or the one generated on first start into the data folder (mode 0600).
 * Several PostgreSQL nodes must share one key: set TESSERA_CODE_KEY on each.
 */
export function loadCodeKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return parseKey(configured);
  const file = path.join(dataDir, 'code.key');
  if (fs.existsSync(file)) return parseKey(fs.readFileSync(file, 'utf8'));
  fs.mkdirSync(dataDir, { recursive: true });
  // Written whole to a private temporary file, then linked into place: a process starting at the
  // same moment either finds no key file or a complete one, and the first link wins.
  const key = randomBytes(32);
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temporary, `${key.toString('hex')}\n`, { mode: 0o600 });
  try {
    fs.linkSync(temporary, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return parseKey(fs.readFileSync(file, 'utf8'));
    throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}
