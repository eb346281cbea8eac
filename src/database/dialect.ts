/** The two databases claim-ledger runs on: an embedded SQLite file, or PostgreSQL for several machines. */
export type Dialect = 'sqlite' | 'postgres';

/** `?` placeholders to PostgreSQL's `$1, $2, …`: the ledger's writer needs it too, so it lives there. */
export { toPositionalParams } from '../ledger/positional-params';
