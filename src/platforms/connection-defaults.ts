/**
 * The connection defaults of every adapter that reaches a platform over the network (http,
 * OpenWhisk, Knative, OpenFaaS, Lambda), in one place; each adapter's *_PLATFORM_DEFAULTS spreads
 * them. connections: per origin, kept alive, one request at a time on each.
 */
export const CONNECTION_DEFAULTS = {
  connections: 256,
  connectTimeoutMs: 10_000,
  invokeTimeoutMs: 60_000,
} as const;
