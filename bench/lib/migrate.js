'use strict';
/** `node bench/lib/migrate.js <db>`: creates and migrates a database file with the service's migrations. */
require('reflect-metadata');
const { dist } = require('./common');

async function main() {
  const { createDataSource, migrate } = dist('database/data-source');
  const ds = createDataSource(process.argv[2]);
  await ds.initialize();
  await migrate(ds);
  await ds.destroy();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
