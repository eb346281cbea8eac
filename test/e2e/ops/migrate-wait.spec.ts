import { createServer, connect, type Server, type Socket } from 'node:net';
import { TEST_PG_URL, dropSchema, uniqueSchema } from '../../support/postgres';
import { freePort, parseJsonLines, requireBuild, spawnNode } from './helpers';

/**
 * `node dist/migrate.js` against a PostgreSQL that is not up yet (as in compose, where migrate
 * may start first): it retries the connection for MIGRATE_WAIT_MS, then migrates; past that it
 * exits 1 with the connection error. The "late PostgreSQL" is a TCP relay to the real one that
 * starts listening a moment after migrate starts.
 */
describe('npm run migrate waits for its database', () => {
  const pg = new URL(TEST_PG_URL);
  const schema = uniqueSchema('mwait');
  let relay: Server | null = null;
  const sockets: Socket[] = [];

  beforeAll(() => requireBuild('migrate.js'));
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (relay ? relay.close(() => r()) : r()));
    await dropSchema(schema);
  });

  const urlOn = (port: number) => `postgres://${pg.username}@127.0.0.1:${port}${pg.pathname}`;

  it('retries until PostgreSQL answers, then migrates (exit 0)', async () => {
    const port = await freePort();
    const child = spawnNode('migrate.js', { DATABASE_URL: urlOn(port), DATABASE_SCHEMA: schema, MIGRATE_WAIT_MS: '30000', LOG_LEVEL: 'info' });
    // The database "comes up" only once migrate has seen it refuse and said it retries (waited
    // for, not slept on: a loaded machine starts node slower than any fixed pause).
    const retrying = () => parseJsonLines(child.stdout()).some((l) => l.msg === 'the database does not answer yet; retrying');
    for (let waited = 0; !retrying(); waited += 50) {
      if (waited > 25_000) throw new Error(`migrate never said it retries; output so far: ${child.stdout()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    relay = createServer((client) => {
      const upstream = connect(Number(pg.port || 5432), pg.hostname);
      sockets.push(client, upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => relay!.listen(port, '127.0.0.1', () => r()));
    expect(await child.exited).toBe(0);
    const lines = parseJsonLines(child.stdout()).map((l) => String(l.msg));
    expect(lines).toContain('the database does not answer yet; retrying');
    expect(lines).toContain('the database answers');
    expect(lines.some((m) => /applied \d+ migration\(s\); the schema is current/.test(m))).toBe(true);
  });

  it('gives up after MIGRATE_WAIT_MS with the connection error (exit 1)', async () => {
    const port = await freePort();
    const child = spawnNode('migrate.js', { DATABASE_URL: urlOn(port), DATABASE_SCHEMA: schema, MIGRATE_WAIT_MS: '1000', LOG_LEVEL: 'info' });
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toMatch(/ECONNREFUSED/);
  });
});
