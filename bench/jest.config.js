/**
 * Jest config of the benchmark tooling's own tests (bench/**\/*.spec.js, plain CommonJS, no transform):
 * `npx jest -c bench/jest.config.js`. Benchmarks themselves are not tests and never run here.
 */
module.exports = {
  displayName: 'bench',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/**/*.spec.js'],
  transform: {},
  testTimeout: 60000,
};
