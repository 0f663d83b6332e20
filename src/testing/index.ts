export {
  memoryExporter,
  type MemoryExporter,
  type MemoryExporterOptions,
  type MemoryMetricPoint,
} from './memory-exporter.js';
