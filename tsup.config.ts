import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    anomaly: 'src/anomaly/index.ts',
    express: 'src/integrations/express/index.ts',
    fastify: 'src/integrations/fastify/index.ts',
    otlp: 'adapters/otlp/index.ts',
    datadog: 'adapters/datadog/index.ts',
    newrelic: 'adapters/newrelic/index.ts',
    cloudwatch: 'adapters/cloudwatch/index.ts',
    elastic: 'adapters/elastic/index.ts',
  },
  format: ['esm', 'cjs'],
  // Members marked `@internal` serve sightline's own adapters, which are bundled with it: users'
  // code does not see them, so they may change in any release.
  dts: { compilerOptions: { stripInternal: true } },
  // One chunk graph shared by every entry, so the global slot and classes exist once per format.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  platform: 'node',
  treeshake: true,
});
