/** Jest runs TypeScript through swc (fast, emits decorator metadata); `npm run typecheck` checks types. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.js',
};
