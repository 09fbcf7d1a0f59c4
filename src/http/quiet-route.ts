/**
 * Route options for the endpoints machines poll (probes, metrics scrapes, key
 * and metadata fetches): frequent, always alike, and the cheapest requests we
 * serve, so a request log line would cost more than the answer. They still
 * log whatever goes wrong at warn and above.
 */
export const QUIET_ROUTE = { logLevel: 'warn' } as const;
