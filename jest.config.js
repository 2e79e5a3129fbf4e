/** One Jest config for the whole workspace: unit specs, integration specs and end-to-end specs. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@llmp/contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^@llmp/platform$': '<rootDir>/libs/platform/src/index.ts',
    '^@llmp/documents$': '<rootDir>/libs/documents/src/index.ts',
    '^@llmp/testing$': '<rootDir>/libs/testing/src/index.ts',
    '^@llmp/job-client$': '<rootDir>/libs/job-client/src/index.ts',
  },
  rootDir: __dirname,
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/{apps,libs}/**/*.e2e-spec.ts'] },
    // The deployment validators' tests (infra/scripts/*.spec.js): plain CommonJS like bench's, no transform.
    {
      displayName: 'infra',
      testEnvironment: 'node',
      rootDir: `${__dirname}/infra`,
      testMatch: ['<rootDir>/**/*.spec.js'],
      transform: {},
    },
    // The benchmark tooling's own tests (the report builder): plain CommonJS, see bench/jest.config.js.
    { ...require('./bench/jest.config.js'), rootDir: `${__dirname}/bench` },
  ],
  testTimeout: 60000,
  // A leaked handle must never hang CI past its limit (one did: job-client's QueueEvents connections, 2026-12-03,
  // and the run was lost). Leaks are still bugs: hunt them with `npx jest <path> --detectOpenHandles`.
  forceExit: true,
};
