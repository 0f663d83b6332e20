// The parts of autocannon's result the HTTP benchmark reads (the package ships no types).
declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    /** Requests/s across all connections. */
    overallRate?: number;
  }
  interface Result {
    requests: { average: number; total: number };
    latency: { p99: number; average: number };
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
