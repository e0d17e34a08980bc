/** Unit tests sit beside the code (*.spec.ts); end-to-end suites in test/ boot the real apps. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.spec.json' }];
const moduleNameMapper = {
  '^@cc/config$': '<rootDir>/config',
  '^@cc/shared$': '<rootDir>/libs/shared',
  '^@cc/platform$': '<rootDir>/libs/platform',
  '^@cc/customers$': '<rootDir>/libs/customers',
  '^@cc/contacts$': '<rootDir>/libs/contacts',
  '^@cc/agents$': '<rootDir>/libs/agents',
  '^@cc/routing$': '<rootDir>/libs/routing',
  '^@cc/channels/webchat$': '<rootDir>/libs/channels/webchat',
  '^@cc/channels/sms$': '<rootDir>/libs/channels/sms',
  '^@cc/channels/email$': '<rootDir>/libs/channels/email',
  '^@cc/channels/outbound$': '<rootDir>/libs/channels/outbound',
  '^@cc/channels/voice$': '<rootDir>/libs/channels/voice',
  '^@cc/calendars$': '<rootDir>/libs/calendars',
  '^@cc/supervision$': '<rootDir>/libs/supervision',
  '^@cc/api$': '<rootDir>/apps/api/src',
  '^@cc/worker$': '<rootDir>/apps/worker/src',
};
const common = { transform: { '^.+\\.ts$': tsJest }, moduleNameMapper, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,config}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
