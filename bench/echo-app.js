'use strict';
/**
 * The ingest reference: a bare Nest 11 + Fastify app (the service's own framework packages,
 * same versions) with one POST route that answers with the JSON body it was sent.
 * `node bench/echo-app.js <port>`; prints "listening" when ready.
 */
require('reflect-metadata');
const { Body, Controller, HttpCode, Module, Post } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

class EchoController {
  echo(body) {
    return body;
  }
}
// The decorators TypeScript would apply, applied by hand (plain JS, no build step).
Body()(EchoController.prototype, 'echo', 0);
HttpCode(202)(EchoController.prototype, 'echo', Object.getOwnPropertyDescriptor(EchoController.prototype, 'echo'));
Post('echo')(EchoController.prototype, 'echo', Object.getOwnPropertyDescriptor(EchoController.prototype, 'echo'));
Reflect.defineMetadata('design:paramtypes', [Object], EchoController.prototype, 'echo');
Controller('api')(EchoController);

class EchoModule {}
Module({ controllers: [EchoController] })(EchoModule);

async function main() {
  const app = await NestFactory.create(EchoModule, new FastifyAdapter({ bodyLimit: 1024 * 1024 }), { logger: false });
  await app.listen(Number(process.argv[2] || 0), '127.0.0.1');
  process.stdout.write('listening\n');
  const stop = () => app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
