export { RolloutService, type CreateRolloutInput, type EligibilityAnswer, type StepInput } from './rollout-service.js';
export { RolloutStore } from './rollout-store.js';
export { rolloutRoutes } from './rollout-routes.js';
export { bucketOf, evaluate, inPercentage, zonedTimeToUtc, type Eligibility, type Rollout, type Stage, type Step } from './rollout.js';
