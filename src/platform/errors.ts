/** Every error a client can see: an HTTP status, a stable machine-readable code and the parameter at fault. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get type(): string {
    return errorType(this.status, this.code);
  }

  toBody(): ErrorBody {
    return {
      error: {
        type: this.type,
        code: this.code,
        message: this.message,
        ...(this.param !== undefined ? { param: this.param } : {}),
      },
    };
  }
}

export interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string };
}

function errorType(status: number, code: string): string {
  if (code.startsWith('idempotency_')) return 'idempotency_error';
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 409:
      return 'conflict_error';
    case 422:
      return 'business_rule_error';
    case 429:
      return 'rate_limit_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export const invalid = (message: string, param?: string, code = 'parameter_invalid') =>
  new AppError(400, code, message, param);
export const notFound = (what: string, id: string, param?: string) =>
  new AppError(404, 'resource_missing', `No such ${what}: '${id}'`, param);
export const conflict = (code: string, message: string, param?: string) => new AppError(409, code, message, param);
export const businessRule = (code: string, message: string, param?: string) =>
  new AppError(422, code, message, param);
