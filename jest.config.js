/** Jest in ESM mode (Nest 12 is ESM-only); `npm test` passes --experimental-vm-modules. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^nestjs-rotating-pg$': '<rootDir>/src/index.ts',
    '^nestjs-rotating-pg/testing$': '<rootDir>/src/testing/index.ts',
    '^nestjs-rotating-pg/health$': '<rootDir>/src/health/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
