export type { Member } from './member.js';
export { MemberService } from './member-service.js';
export { MemberStore } from './member-store.js';
export { memberRoutes } from './member-routes.js';
