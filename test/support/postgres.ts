import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL this machine runs (trust auth, database `test`); each test uses its own schema. */
export const TEST_PG_URL = process.env.TEST_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';

export function uniqueSchema(label = 't'): string {
  return `cl_${label}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

export async function dropSchema(schema: string, url = TEST_PG_URL): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function pgAvailable(url = TEST_PG_URL): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
