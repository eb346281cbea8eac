/**
 * Expanding a ClaimReview with a real JSON-LD processor (jsonld.js) and listing every term that is
 * neither schema.org's nor claim-ledger's. The schema.org context comes from a local copy
 * (test/fixtures/schema-org): no network here, and a fixed context makes the test repeatable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonld from 'jsonld';
import { CLAIM_LEDGER_NS } from '../../src/claim-review/transparency-proof';

const SCHEMA_ORG_CONTEXT = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'schema-org', 'schemaorg-context.jsonld'), 'utf8')) as {
  '@context': Record<string, unknown>;
};
const SCHEMA_ORG_URLS = new Set(['https://schema.org', 'https://schema.org/', 'http://schema.org', 'http://schema.org/', 'https://schema.org/docs/jsonldcontext.jsonld']);

/** schema.org's terms, as its context defines them (a term missing there is not schema.org's). */
const SCHEMA_ORG_TERMS = new Set(Object.keys(SCHEMA_ORG_CONTEXT['@context']).filter((k) => !k.startsWith('@')));

/** Serves schema.org's context from the fixture; anything else is refused (no network in tests). */
export async function localDocumentLoader(url: string): Promise<{ contextUrl: null; documentUrl: string; document: unknown }> {
  if (SCHEMA_ORG_URLS.has(url)) return { contextUrl: null, documentUrl: url, document: SCHEMA_ORG_CONTEXT };
  throw new Error(`the test document loader fetches nothing but schema.org's context, was asked for ${url}`);
}

export async function expandJsonLd(doc: unknown): Promise<unknown[]> {
  return jsonld.expand(doc as jsonld.JsonLdDocument, { documentLoader: localDocumentLoader as never, safe: true } as jsonld.Options.Expand);
}

/** Every property IRI and @type IRI in an expanded document. */
export function expandedTerms(expanded: unknown): { properties: string[]; types: string[] } {
  const properties = new Set<string>();
  const types = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '@type') for (const t of [value].flat()) types.add(String(t));
      else if (!key.startsWith('@')) properties.add(key);
      if (key !== '@value') walk(value);
    }
  };
  walk(expanded);
  return { properties: [...properties].sort(), types: [...types].sort() };
}

/** A term is fine when it is a schema.org term (defined in its context) or in claim-ledger's namespace. */
function outside(iri: string): boolean {
  if (iri.startsWith(CLAIM_LEDGER_NS)) return false;
  const m = /^https?:\/\/schema\.org\/(.+)$/.exec(iri);
  return !m || !SCHEMA_ORG_TERMS.has(m[1]);
}

/** The IRIs (properties and types) of a document that are neither schema.org terms nor ours. */
export async function termsOutsideSchemaOrgAndOurs(doc: unknown): Promise<string[]> {
  const { properties, types } = expandedTerms(await expandJsonLd(doc));
  // `Date` is the datatype of schema.org dates (a value type, not a node type): it is defined too.
  return [...properties, ...types].filter((iri) => iri !== 'http://schema.org/Date' && outside(iri));
}
