import { init } from '../../src/index.js';
import type { SightlineConfig } from '../../src/config/types.js';
import { memoryExporter } from '../../src/testing/index.js';

/** Starts an instance whose log lines and telemetry are captured in memory. */
export function startCaptured(config: SightlineConfig = {}) {
  const lines: string[] = [];
  const memory = memoryExporter();
  const obs = init({
    service: 'test-svc',
    environment: 'test',
    version: '1.2.3',
    exporters: [memory],
    logStream: { write: (l: string) => lines.push(l) },
    ...config,
  });
  const logs = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  return { obs, memory, lines, logs };
}

/** Collects what is written to stderr (sightline's diagnostics) until `restore()`. */
export function captureStderr() {
  const writes: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return { writes, restore: () => (process.stderr.write = original) };
}
