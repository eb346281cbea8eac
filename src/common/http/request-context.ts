import type { FastifyRequest } from 'fastify';
import type { Actor, EventMetadata } from '../../domain/events';
import type { Principal } from '../../domain/types';

export function actorOf(principal: Principal | undefined): Actor {
  if (!principal) return { kind: 'system', name: 'anonymous' };
  return { kind: 'api-key', id: principal.id, name: principal.name, role: principal.role };
}

/** Metadata for events caused by an HTTP request: who, and the request id to follow it by. */
export function requestMetadata(req: FastifyRequest & { principal?: Principal }): EventMetadata {
  return { actor: actorOf(req.principal), correlationId: String(req.id), causationId: null };
}
