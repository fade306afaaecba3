export { PlanService, type PlanSnapshot, type CreatePlanInput } from './plan-service.js';
export { PlanStore } from './plan-store.js';
export { planRoutes } from './plan-routes.js';
export { addTerm, parseTerm, type Term } from './term.js';
export { describeRule, type Plan, type Quote, type ChosenPrice } from './plan.js';
