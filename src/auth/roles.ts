import { SetMetadata } from '@nestjs/common';
import type { Role } from '../domain/types';

// Roles and the principal are domain types; re-exported for the guards and controllers here.
export { ROLES, type Principal, type Role } from '../domain/types';

const RANK: Record<Role, number> = { viewer: 1, checker: 2, editor: 3, admin: 4 };

/** admin ⊃ editor ⊃ checker ⊃ viewer. */
export function roleSatisfies(held: Role, needed: Role): boolean {
  return RANK[held] >= RANK[needed];
}

/** What a route needs: a role, "read" (viewer unless PUBLIC_READ), or "public" (no key at all). */
export type Access = Role | 'read' | 'public';
export const ACCESS_KEY = 'claim-ledger:access';
export const RequireAccess = (access: Access) => SetMetadata(ACCESS_KEY, access);
export const Public = () => RequireAccess('public');
export const ReadAccess = () => RequireAccess('read');
export const CheckerOnly = () => RequireAccess('checker');
export const EditorOnly = () => RequireAccess('editor');
export const AdminOnly = () => RequireAccess('admin');
