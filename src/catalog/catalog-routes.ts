import type { Effect, HttpServer } from '../platform/http.js';
import { createItemSchema, getItemSchema, itemEligibilitySchema, listItemsSchema, updateItemSchema } from './catalog-schemas.js';
import type { CatalogService } from './catalog-service.js';

const epoch = (iso: string | null | undefined) => (iso === undefined ? undefined : iso === null ? null : Date.parse(iso));

export function catalogRoutes(app: HttpServer, catalog: CatalogService, effect: Effect): void {
  app.post('/v1/catalog/items', { schema: createItemSchema }, (request, reply) => {
    const { availableFrom, availableUntil, ...rest } = request.body;
    return effect(request, reply, 201, (tx) =>
      catalog.create(tx, { ...rest, availableFrom: epoch(availableFrom), availableUntil: epoch(availableUntil) }),
    );
  });

  app.get('/v1/catalog/items', { schema: listItemsSchema }, (request) => catalog.list(request.query));

  app.get('/v1/catalog/items/:id', { schema: getItemSchema }, (request) => catalog.get(request.params.id));

  app.post('/v1/catalog/items/:id', { schema: updateItemSchema }, (request, reply) => {
    const { availableFrom, availableUntil, ...rest } = request.body;
    return effect(request, reply, 200, (tx) =>
      catalog.update(tx, request.params.id, { ...rest, availableFrom: epoch(availableFrom), availableUntil: epoch(availableUntil) }),
    );
  });

  app.get('/v1/catalog/items/:id/eligibility', { schema: itemEligibilitySchema }, (request) =>
    catalog.forMember(request.params.id, request.query.memberId),
  );
}
