/** Jest runs TypeScript through swc (fast, emits decorator metadata); `npm run typecheck` checks types. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    // ESM-only packages (content-disposition 3, under @fastify/static) become CommonJS for Jest,
    // which cannot require(esm) on Node 20; node itself loads them as they are.
    '^.+/node_modules/content-disposition/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.js',
};
