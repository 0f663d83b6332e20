/**
 * Resolves the AWS SDK as sightline does from a build that is not on this machine (a webpack
 * bundle run away from it), and prints where it found it, or the error.
 */
import * as nodeModule from 'node:module';
import { peerLocation } from '../../../src/internal/peer-location.js';

try {
  const from = peerLocation('file:///nowhere/build/node_modules/sightline/dist/cloudwatch.js');
  process.stdout.write(`${nodeModule.createRequire(from).resolve('@aws-sdk/client-cloudwatch')}\n`);
} catch (error) {
  process.stdout.write(`failed: ${error instanceof Error ? error.message : String(error)}\n`);
}
