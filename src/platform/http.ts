import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Tx } from '../schema.js';
import { AppError, invalid } from './errors.js';
import { fingerprint, MAX_IDEMPOTENCY_KEY_LENGTH, type Idempotency } from './idempotency.js';

export interface Principal {
  keyId: string;
  role: string;
  /** Partner keys (src/auth): the partner they act for and their scopes. */
  partnerId?: string;
  scopes?: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export type HttpServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Runs an effectful request as one group-committed write, honouring Idempotency-Key. */
export type Effect = (
  request: FastifyRequest,
  reply: FastifyReply,
  successStatus: number,
  work: (tx: Tx) => Promise<unknown>,
  keepForReplay?: (body: unknown) => unknown,
) => Promise<void>;

export interface HttpOptions {
  logger: boolean | { level: string };
  bodyLimit?: number;
  version: string;
}

function makeAjv(coerce: boolean): Ajv {
  // Bodies are taken exactly as sent: "10" is not a number and an unknown field is an error.
  // Query strings and path parameters are text by nature, so those are coerced.
  const ajv = new Ajv({
    coerceTypes: coerce,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  // ajv-formats passes a leap second (23:59:60) and an hour-only offset (+08), which Date.parse
  // reads as NaN; a date-time must also be an instant the server can store.
  const rfc3339 = fullFormats['date-time'] as { validate: (text: string) => boolean };
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (text: string) => rfc3339.validate(text) && Number.isFinite(Date.parse(text)),
  });
  return ajv;
}

/** The path of the first string (or key) holding U+0000, which PostgreSQL text cannot store. Iterative: bodies nest deep. */
function findNulCharacter(root: unknown): string | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return childPath;
        stack.push({ value: child, path: childPath });
      }
    }
  }
  return undefined;
}

function validationError(errors: ErrorObject[], context: string): AppError {
  const first = errors[0];
  const base = first?.instancePath.replace(/^\//, '').replace(/\//g, '.') ?? '';
  const join = (name: string) => (base ? `${base}.${name}` : name);
  if (!first) return invalid(`Invalid ${context}`);
  const where = context === 'body' ? '' : ` in ${context}`;
  switch (first.keyword) {
    case 'required': {
      const name = join(String(first.params.missingProperty));
      return invalid(`Missing required parameter '${name}'${where}`, name, 'parameter_missing');
    }
    case 'additionalProperties': {
      const name = join(String(first.params.additionalProperty));
      return invalid(`Unknown parameter '${name}'${where}`, name, 'parameter_unknown');
    }
    default: {
      const name = base || context;
      return invalid(`Invalid '${name}'${where}: ${first.message ?? 'not valid'}`, name);
    }
  }
}

function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: string; statusCode?: number; message?: string; validation?: ErrorObject[]; validationContext?: string };
  if (e.validation) return validationError(e.validation, e.validationContext ?? 'body');
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(413, 'payload_too_large', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(415, 'unsupported_media_type', 'Send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(400, 'invalid_json', 'The body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(400, 'invalid_request', 'The Content-Length does not match the body');
  }
  if (error instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new AppError(400, 'invalid_json', `The body is not valid JSON: ${e.message ?? ''}`.trim());
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError(e.statusCode, 'invalid_request', e.message ?? 'Invalid request');
  }
  return undefined;
}

export async function createHttpServer(options: HttpOptions): Promise<HttpServer> {
  const app = Fastify({
    logger: options.logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // One log line per request would cost more than the request; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // JSON with a __proto__ key is refused rather than trusted.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }).withTypeProvider<TypeBoxTypeProvider>();

  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema),
  );

  // Refused on both engines alike, rather than stored by SQLite and a 500 from PostgreSQL.
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
      const path = findNulCharacter(value);
      if (path !== undefined) throw invalid(`'${path || part}' must not contain the NUL character (\\u0000)`, path || part);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const known = toAppError(error);
    if (known) {
      if (known.headers) void reply.headers(known.headers);
      return reply.status(known.status).send(known.toBody());
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .send(new AppError(500, 'internal_error', 'Something went wrong on our side; it has been logged').toBody());
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(new AppError(404, 'route_not_found', `No route for ${request.method} ${request.url.split('?')[0]}`).toBody()),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera API',
        version: options.version,
        description:
          'Ecosystem memberships: members, the points ledger, plans, benefits and the exchange mall. ' +
          'Every effectful POST accepts an Idempotency-Key header.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  return app;
}

export function makeEffect(idempotency: Idempotency, write: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>): Effect {
  return async (request, reply, successStatus, work, keepForReplay) => {
    const header = request.headers['idempotency-key'];
    if (header === undefined) {
      const body = await write(work);
      await reply.status(successStatus).send(body);
      return;
    }
    const key = Array.isArray(header) ? header[0] ?? '' : header;
    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || key.includes('\u0000')) {
      throw invalid(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`, 'Idempotency-Key');
    }
    const scope = request.principal?.keyId ?? 'anonymous';
    const result = await idempotency.run(
      scope,
      key,
      fingerprint(request.method, request.url, request.body),
      successStatus,
      work,
      keepForReplay,
    );
    if (result.replayed) void reply.header('Idempotent-Replayed', 'true');
    await reply.status(result.status).send(result.body);
  };
}
