export type { Member } from './member.js';
export { MemberService, type LoyaltyScoreSource } from './member-service.js';
export { MemberStore } from './member-store.js';
export { memberRoutes } from './member-routes.js';
