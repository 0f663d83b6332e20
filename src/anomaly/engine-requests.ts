/**
 * How many Poisson standard deviations fewer errors than the incident's rate gives a run back in
 * the band must hold to end it: with none, as many requests as would have held nine of its errors,
 * which that rate leaves without one about once in 8,000 runs. A route failing one request in
 * twenty at twelve a minute has a minute without errors every other minute, and three such minutes
 * in a row every few minutes.
 */
const BACK_DEVIATIONS = 3;

/**
 * The errors and requests of an incident reported on a share of requests (a route's error rate):
 * those of its cycles since the event, and apart from them those of the run of cycles the series
 * has been back in its band, which its end is judged on.
 */
export interface IncidentRequests {
  errors: number;
  requests: number;
  backErrors: number;
  backRequests: number;
}

/** An incident's counts from the cycle its event was reported on; none for a series that is not a share of requests. */
export function incidentRequests(value: number, requests: number): IncidentRequests {
  return { errors: value * requests, requests, backErrors: 0, backRequests: 0 };
}

/** Adds a cycle to the run back in the band or, when it ends that run, the run and the cycle to the incident. */
export function countCycle(c: IncidentRequests, value: number, requests: number, back: boolean): void {
  c.backErrors += value * requests;
  c.backRequests += requests;
  if (back) return;
  c.errors += c.backErrors;
  c.requests += c.backRequests;
  c.backErrors = 0;
  c.backRequests = 0;
}

/**
 * Whether the run back in the band has requests enough, and errors few enough, that the incident's
 * rate would rarely have given it. Always for a series that is not a share of requests: its cycles
 * back in the band are enough. Error rates are reported upward only.
 */
export function outlastsIncident(c: IncidentRequests): boolean {
  if (c.requests === 0) return true;
  const expected = (c.errors / c.requests) * c.backRequests;
  return expected - c.backErrors >= BACK_DEVIATIONS * Math.sqrt(expected);
}

/** Whether a band reaches the incident's error rate: always for a series that is not a share of requests. */
export function holdsIncident(c: IncidentRequests, upper: number): boolean {
  return c.requests === 0 || c.errors / c.requests <= upper;
}
