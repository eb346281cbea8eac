import { SetMetadata } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
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

/**
 * The access rule is also put in the route's Fastify config (`config.access`), so the onRequest
 * hook (auth.guard.ts) can check the key before the body is read. Nest copies a handler's own
 * metadata into the Fastify route; a rule on a controller class is copied here onto each of its
 * methods that declares none itself (method decorators run first, so they are already there).
 */
export const RequireAccess =
  (access: Access) =>
  (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor) {
      SetMetadata(ACCESS_KEY, access)(target, key!, descriptor);
      routeAccess(descriptor.value, access);
      return;
    }
    SetMetadata(ACCESS_KEY, access)(target as never);
    const proto = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (name === 'constructor' || typeof method !== 'function') continue;
      if (Reflect.getMetadata(ACCESS_KEY, method) === undefined) routeAccess(method, access);
    }
  };

/** Puts an access rule into a handler's Fastify route config (read by the request hook in auth.guard.ts). */
export function routeAccess(handler: object, access: Access): void {
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined) ?? {};
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, access }, handler);
}

export const Public = () => RequireAccess('public');
export const ReadAccess = () => RequireAccess('read');
export const CheckerOnly = () => RequireAccess('checker');
export const EditorOnly = () => RequireAccess('editor');
export const AdminOnly = () => RequireAccess('admin');
