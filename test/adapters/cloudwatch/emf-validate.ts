import { STANDARD_UNITS } from './standard-units.js';

/**
 * A strict reading of the Embedded Metric Format specification, independent of the encoder: returns
 * every violation found in one document (an empty list means valid).
 */
export function emfViolations(chunk: string): string[] {
  // The writer gets one document per call, ended by exactly one newline.
  const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
  const problems: string[] = [];
  const bad = (why: string) => problems.push(why);
  let doc: any;
  try {
    doc = JSON.parse(line);
  } catch {
    return ['not JSON'];
  }
  if (line.includes('\n')) bad('a line break inside the document');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['root is not an object'];
  const aws = doc._aws;
  if (typeof aws !== 'object' || aws === null) return ['_aws missing'];
  for (const k of Object.keys(aws))
    if (k !== 'Timestamp' && k !== 'CloudWatchMetrics') bad(`_aws.${k} is extra`);
  if (!Number.isInteger(aws.Timestamp) || aws.Timestamp < 0) bad('Timestamp is not integer ms');
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0)
    bad('CloudWatchMetrics empty');
  for (const d of aws.CloudWatchMetrics ?? []) {
    for (const k of Object.keys(d))
      if (!['Namespace', 'Dimensions', 'Metrics'].includes(k)) bad(`directive.${k} extra`);
    if (typeof d.Namespace !== 'string' || !/^[a-zA-Z0-9._#:/-]{1,255}$/.test(d.Namespace))
      bad('Namespace invalid');
    if (!Array.isArray(d.Dimensions) || d.Dimensions.length < 1)
      bad('Dimensions must be a non-empty array of sets');
    for (const set of d.Dimensions ?? []) {
      if (!Array.isArray(set)) {
        bad('a dimension set is not an array');
        continue;
      }
      if (set.length > 30) bad(`dimension set of ${set.length} keys`);
      for (const key of set) {
        if (typeof key !== 'string' || !/^[\x20-\x7e]{1,250}$/.test(key) || key.trim() === '')
          bad(`dimension key ${key} invalid`);
        const v = doc[key];
        if (typeof v !== 'string') bad(`dimension ${key} is not a top-level string member`);
        else if (v.length > 1024 || v.length === 0) bad(`dimension ${key} value length ${v.length}`);
        else if (!/^[\x20-\x7e]+$/.test(v)) bad(`dimension ${key} value not ASCII`);
      }
    }
    if (!Array.isArray(d.Metrics)) bad('Metrics missing');
    if ((d.Metrics ?? []).length > 100) bad(`${d.Metrics.length} metrics in one directive`);
    for (const m of d.Metrics ?? []) {
      for (const k of Object.keys(m))
        if (!['Name', 'Unit', 'StorageResolution'].includes(k)) bad(`metric.${k} extra`);
      if (typeof m.Name !== 'string' || m.Name.length < 1 || m.Name.length > 1024) bad('metric Name invalid');
      if (m.Unit !== undefined && !STANDARD_UNITS.includes(m.Unit)) bad(`Unit ${m.Unit}`);
      if (m.StorageResolution !== undefined && m.StorageResolution !== 1 && m.StorageResolution !== 60)
        bad('StorageResolution');
      const v = doc[m.Name];
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) bad(`${m.Name} not finite`);
      } else if (Array.isArray(v)) {
        if (v.length > 100) bad(`${m.Name} has ${v.length} values`);
        if (v.length === 0) bad(`${m.Name} empty array`);
        if (!v.every((x) => typeof x === 'number' && Number.isFinite(x))) bad(`${m.Name} has a non-number`);
      } else bad(`metric ${m.Name} is not a top-level number member`);
    }
  }
  if (Buffer.byteLength(line) > 1024 * 1024) bad('document over 1 MB');
  return problems;
}
