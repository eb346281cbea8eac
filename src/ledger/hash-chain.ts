import { hash } from 'node:crypto';
import { canonicalString } from './canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields the hash covers, with data and metadata already in canonical JSON text. */
export interface HashInput {
  position: number;
  streamId: string;
  streamVersion: number;
  type: string;
  dataJson: string;
  metadataJson: string;
  recordedAt: string;
  prevHash: string;
}

/**
 * RFC 8785 text of {position, streamId, streamVersion, type, data, metadata, recordedAt, prevHash}.
 * Keys are written in their canonical (UTF-16) order directly, so data and metadata, stored as
 * canonical text, are spliced in without being parsed again: this is the hot path of append and verify.
 */
export function canonicalEnvelope(e: HashInput): string {
  return (
    '{"data":' + e.dataJson +
    ',"metadata":' + e.metadataJson +
    ',"position":' + String(e.position) +
    ',"prevHash":' + canonicalString(e.prevHash) +
    ',"recordedAt":' + canonicalString(e.recordedAt) +
    ',"streamId":' + canonicalString(e.streamId) +
    ',"streamVersion":' + String(e.streamVersion) +
    ',"type":' + canonicalString(e.type) +
    '}'
  );
}

/** SHA-256 (hex) of the UTF-8 canonical envelope; crypto.hash is the one-shot form of createHash(). */
export function eventHash(e: HashInput): string {
  return hash('sha256', canonicalEnvelope(e), 'hex');
}
