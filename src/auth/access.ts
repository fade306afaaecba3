import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.js';
import { ENV_KEY_ID } from './api-key-service.js';
import type { Principal, Scope } from './api-key.js';
import type { RateLimiter } from './rate-limit.js';

/**
 * What a route allows, declared in its Fastify options: `config: { access: { … } }`.
 * A route that declares nothing is for the operator's keys only: admin for everything,
 * analyst for reads (GET), support for reads and the support actions.
 */
export interface Access {
  /** Partner keys holding this scope may call the route, acting for their own partner only. */
  scope?: Scope;
  /** Only partner keys: an operator key gets 403 (the route acts as "the calling partner"). */
  partnerOnly?: boolean;
  /** A write the support role may take. */
  support?: boolean;
  /** A stricter extra bucket on top of the key's own (code look-ups, against guessing). */
  rateLimit?: 'lookup';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** Route config for a write the support role may take (putting points right, undoing a redemption, …). */
export const SUPPORT_ACTION = { access: { support: true } } as const;

export interface RegisteredRoute {
  method: string;
  url: string;
  access: Access | undefined;
}

const registry = new WeakMap<object, RegisteredRoute[]>();

/** Every route registered after `installAccessControl`, with what it declared (the scope test walks them all). */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return [...(registry.get(app) ?? [])];
}

const READ_METHODS = new Set(['GET', 'HEAD']);

function forbidden(message: string): AppError {
  return new AppError(403, 'forbidden', message);
}

/** Undefined when the principal may call the route; otherwise the 403 to answer. */
export function authorize(principal: Principal, method: string, url: string, access: Access | undefined): AppError | undefined {
  const route = `${method} ${url}`;
  if (principal.role === 'partner') {
    if (!access?.scope) return forbidden(`Partner keys cannot call ${route}: it is for the operator's keys`);
    if (!(principal.scopes ?? []).includes(access.scope)) {
      return forbidden(`This API key lacks the scope '${access.scope}' that ${route} requires`);
    }
    return undefined;
  }
  if (access?.partnerOnly) return forbidden(`${route} is called with a partner's key (it acts for the calling partner)`);
  switch (principal.role) {
    case 'admin':
      return undefined;
    case 'analyst':
      return READ_METHODS.has(method) ? undefined : forbidden(`The analyst role is read-only: it cannot call ${route}`);
    case 'support':
      return READ_METHODS.has(method) || access?.support
        ? undefined
        : forbidden(`The support role cannot call ${route} (it may read and take the support actions)`);
    default:
      return forbidden(`Unknown role '${String(principal.role)}'`);
  }
}

/**
 * The one place requests to /v1 are checked, after routing and before the body is read:
 * authenticate (401), rate limit (429 with Retry-After), then the route's access (403).
 * Must be installed before any route is registered.
 */
export function installAccessControl(
  app: FastifyInstance,
  authenticate: (header: string | undefined) => Promise<Principal>,
  limiter: RateLimiter,
): void {
  const routes: RegisteredRoute[] = [];
  registry.set(app, routes);
  app.addHook('onRoute', (options) => {
    const methods = Array.isArray(options.method) ? options.method : [options.method];
    const access = (options.config as { access?: Access } | undefined)?.access;
    for (const method of methods) routes.push({ method: String(method).toUpperCase(), url: options.url ?? options.path, access });
  });
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!(request.url.startsWith('/v1/') || request.url === '/v1' || request.url.startsWith('/v1?'))) return;
    const principal = await authenticate(request.headers.authorization);
    request.principal = principal;
    const url = request.routeOptions.url;
    const access = request.routeOptions.config?.access;
    if (principal.keyId !== ENV_KEY_ID) {
      const limits = limiter.limits;
      limiter.take(`key:${principal.keyId}`, principal.role === 'partner' ? limits.partner : limits.operator, 'requests');
      if (access?.rateLimit === 'lookup') limiter.take(`lookup:${principal.keyId}`, limits.lookup, 'code look-ups');
    }
    if (url === undefined) return; // no such route: the 404 answers
    const refused = authorize(principal, request.method, url, access);
    if (refused) throw refused;
  });
}

/** The calling partner's id, for partner-only routes (the access hook has already checked the key). */
export function callingPartner(request: FastifyRequest): string {
  const partnerId = request.principal?.partnerId;
  if (!partnerId) throw forbidden('This endpoint is called with a partner\'s key');
  return partnerId;
}
