/**
 * The code writes SQL once, with `?` placeholders (SQLite's); PostgreSQL wants `$1, $2, …`.
 * Rewrites placeholders outside quoted strings and identifiers.
 */
export function toPositionalParams(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}
