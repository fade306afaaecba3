export { CatalogService, type CreateItemInput, type Reservation, type UpdateItemInput } from './catalog-service.js';
export { CatalogStore } from './catalog-store.js';
export { catalogRoutes } from './catalog-routes.js';
export { periodKey, type CatalogItem, type Period } from './catalog-item.js';
