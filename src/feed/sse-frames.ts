import type { EventRow } from '../ledger/ledger-reader';

/**
 * The event envelope as JSON text, built straight from the stored row: `data` and `metadata`
 * are already canonical JSON (the very bytes the hash covers), so nothing is parsed or
 * re-serialised per event. JSON-equal to what GET /api/events returns for the same position.
 */
export function envelopeJson(row: EventRow): string {
  const data = safeJson(row.data);
  const metadata = safeJson(row.metadata);
  return (
    `{"position":${row.position},"streamId":${JSON.stringify(row.stream_id)},"streamVersion":${row.stream_version},` +
    `"type":${JSON.stringify(row.type)},"data":${data},"metadata":${metadata},"recordedAt":${JSON.stringify(row.recorded_at)},` +
    `"prevHash":${JSON.stringify(row.prev_hash)},"hash":${JSON.stringify(row.hash)}}`
  );
}

/** Canonical JSON never holds a raw line break; anything else is re-serialised on one line. */
function safeJson(text: string): string {
  return /[\r\n]/.test(text) ? JSON.stringify(JSON.parse(text)) : text;
}

/** One Server-Sent Events frame: `id:` the position, `event:` the type, `data:` the envelope. */
export function sseFrame(row: EventRow): string {
  const type = row.type.replace(/[\r\n]/g, ' ');
  return `id: ${row.position}\nevent: ${type}\ndata: ${envelopeJson(row)}\n\n`;
}

/** A comment line: ignored by EventSource, but it keeps proxies and load balancers from timing out. */
export const HEARTBEAT_FRAME = ': heartbeat\n\n';
