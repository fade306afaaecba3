import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import { AppError, conflict, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { ApiKeysTable, Db, Executor, Tx } from '../schema.js';
import { generateKey, hashKey, hasValidChecksum, keyPrefix, type OperatorRole, type Principal, type Role, type Scope } from './api-key.js';
import type { ApiKeyStore } from './api-key-store.js';

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  /** Partner keys: the partner they act for and their scopes; null on operator keys. */
  partnerId: string | null;
  scopes: Scope[] | null;
}

export interface CreatedKey extends ApiKeyView {
  /** The only time the secret is ever shown. */
  secret: string;
}

export const ENV_KEY_ID = 'key_environment';
/** Two at a time, so a partner rotates by creating the new key before revoking the old one. */
export const MAX_ACTIVE_PARTNER_KEYS = 2;
// Long enough to spare the database a look-up per request, short enough that a revocation on
// another node takes effect within a second.
const CACHE_MS = 1000;

function view(row: ApiKeysTable): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
    partnerId: row.partner_id,
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as Scope[]),
  };
}

export class ApiKeyService {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly envKeyHash: Buffer | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: ApiKeyStore,
    private readonly clock: Clock,
    envAdminKey: string | undefined,
  ) {
    this.envKeyHash = envAdminKey ? Buffer.from(hashKey(envAdminKey), 'hex') : undefined;
  }

  async create(tx: Tx, input: { name: string; role: OperatorRole }): Promise<CreatedKey> {
    return this.insert(tx, input.name, input.role, input.role, null, null);
  }

  /**
   * A partner's key (`tsk_ptr_…`). At most two are active at once: the caller (the partners
   * domain) holds the partner's row lock, so two concurrent creations cannot both pass the count.
   */
  async createPartnerKey(tx: Tx, partnerId: string, input: { name: string; scopes: Scope[] }): Promise<CreatedKey> {
    const active = await this.store.countActiveOfPartner(tx, partnerId);
    if (active >= MAX_ACTIVE_PARTNER_KEYS) {
      throw conflict(
        'too_many_active_keys',
        `Partner ${partnerId} already has ${MAX_ACTIVE_PARTNER_KEYS} active keys; revoke one first (rotation: create the new key, switch over, revoke the old one)`,
      );
    }
    return this.insert(tx, input.name, 'partner', 'ptr', partnerId, [...new Set(input.scopes)]);
  }

  async listOfPartner(db: Executor, partnerId: string): Promise<ApiKeyView[]> {
    return (await this.store.listOfPartner(db, partnerId)).map(view);
  }

  /** Revokes one of the partner's keys; another partner's key id is not found. */
  async revokePartnerKey(tx: Tx, partnerId: string, keyId: string): Promise<ApiKeyView> {
    const row = await this.store.find(tx, keyId);
    if (!row || row.partner_id !== partnerId) throw notFound('API key of this partner', keyId, 'keyId');
    if (row.revoked_at !== null) return view(row);
    return this.revoke(tx, keyId);
  }

  private async insert(tx: Tx, name: string, role: Role, kind: string, partnerId: string | null, scopes: Scope[] | null): Promise<CreatedKey> {
    const secret = generateKey(kind);
    const row: ApiKeysTable = {
      id: newId('key'),
      key_hash: hashKey(secret),
      prefix: keyPrefix(secret),
      name,
      role,
      created_at: this.clock.now(),
      revoked_at: null,
      partner_id: partnerId,
      scopes: scopes === null ? null : JSON.stringify(scopes),
    };
    await this.store.insert(tx, row);
    return { ...view(row), secret };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.store.list(this.db.read)).map(view);
  }

  async revoke(tx: Tx, id: string): Promise<ApiKeyView> {
    const row = await this.store.revoke(tx, id, this.clock.now());
    if (!row) throw notFound('active API key', id, 'id');
    this.cache.delete(row.key_hash);
    return view(row);
  }

  /** On a first start with no admin key and none from the environment, makes one to print once. */
  async ensureInitialAdminKey(): Promise<CreatedKey | undefined> {
    if (this.envKeyHash) return undefined;
    if ((await this.store.countActiveAdmins(this.db.read)) > 0) return undefined;
    return this.db.write(async (tx) => {
      if ((await this.store.countActiveAdmins(tx)) > 0) return undefined;
      return this.create(tx, { name: 'initial admin key', role: 'admin' });
    });
  }

  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw new AppError(401, 'missing_api_key', 'Send your API key as Authorization: Bearer <key>');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AppError(401, 'invalid_api_key', 'The Authorization header must be Bearer <key>');
    const key = match[1]!;
    const hash = hashKey(key);
    if (this.envKeyHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.envKeyHash)) {
      return { keyId: ENV_KEY_ID, role: 'admin' };
    }
    if (!hasValidChecksum(key)) throw invalidKey();
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const row = await this.store.findActiveByHash(this.db.read, hash);
    if (!row) {
      this.cache.delete(hash);
      throw invalidKey();
    }
    const principal: Principal =
      row.partner_id === null
        ? { keyId: row.id, role: row.role as Role }
        : { keyId: row.id, role: 'partner', partnerId: row.partner_id, scopes: row.scopes === null ? [] : (JSON.parse(row.scopes) as Scope[]) };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: now + CACHE_MS });
    return principal;
  }
}

function invalidKey(): AppError {
  return new AppError(401, 'invalid_api_key', 'The API key is not valid or has been revoked');
}
