import { Type, type TSchema } from '@sinclair/typebox';

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      type: Type.String(),
      code: Type.String(),
      message: Type.String(),
      param: Type.Optional(Type.String()),
    }),
  },
  { $id: 'Error' },
);

export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    startingAfter: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), hasMore: Type.Boolean() });
}

/** The error answers every authenticated route can give, for the OpenAPI document. */
export const commonErrors = {
  400: ErrorSchema,
  401: ErrorSchema,
  404: ErrorSchema,
};

export const IsoDateTime = Type.String({ format: 'date-time' });
