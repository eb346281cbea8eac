/** The body types POST /api/imports takes, streamed (never parsed into memory). */
export const IMPORT_CONTENT_TYPES = ['text/csv', 'application/x-ndjson'] as const;

interface ContentTypeParsing {
  addContentTypeParser(
    types: string[],
    parser: (req: unknown, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: unknown) => void) => void,
  ): void;
}

/**
 * Fastify parsers for the import bodies that hand the request stream itself to the route, so
 * an upload is written to disk as it arrives (Fastify's bodyLimit applies only to bodies it
 * reads; the import route counts bytes itself against IMPORT_MAX_BYTES).
 */
export function installImportBodyParsers(fastify: ContentTypeParsing): void {
  fastify.addContentTypeParser([...IMPORT_CONTENT_TYPES], (_req, payload, done) => done(null, payload));
}
