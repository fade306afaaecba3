export { OrderService, type CreateOrderInput, type LivePlansSource } from './order-service.js';
export { OrderStore } from './order-store.js';
export { orderRoutes } from './order-routes.js';
export { MoneySchema, PositiveMoney, Currency, MAX_AMOUNT } from './order-schemas.js';
export type { Money, Order } from './order.js';
export { importOrders, parseCsvLine, DEFAULT_BATCH_SIZE, type ImportReport, type ImportError } from './import-orders.js';
