/**
 * The Engine API calls whose @types/dockerode typings (written for dockerode 4) are wrong for
 * dockerode 5, which this project runs. Each is made the way dockerode 5 makes it (lib/docker.js:
 * the same path, query and status codes, through the client's own docker-modem), typed by
 * @types/docker-modem, and its answer is checked before it is typed:
 *
 * - ping, version, info: dockerode 5 takes {abortSignal}; the typings give them no options.
 * - events: the API's `since`/`until` are `seconds.nanoseconds` text, which a number cannot hold
 *   to the nanosecond; the typings only allow a number.
 *
 * listContainers and container stats are typed right and are called on dockerode directly.
 */
import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';

/** The /events query: `since`/`until` as `seconds.nanoseconds` text; `filters` as the API takes them. */
export interface EventsQuery {
  since?: string;
  until?: string;
  filters?: Record<string, string[]>;
}

/** What /version and /info answer, as far as faasload reads them. */
export interface EngineFacts {
  version: string;
  apiVersion: string;
  storageDriver: string | undefined;
  cgroupVersion: string | undefined;
}

const OK = { 200: true, 500: 'server error' } as const;

/** One request on the client's modem; resolves with the modem's answer (a parsed JSON body, or a stream). */
function dial(
  docker: Dockerode,
  path: string,
  query: object | undefined,
  abortSignal: AbortSignal | undefined,
  isStream: boolean,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    docker.modem.dial(
      {
        path,
        method: 'GET',
        isStream,
        statusCodes: OK,
        ...(query ? { options: query } : {}),
        ...(abortSignal ? { abortSignal } : {}),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** `o[key]` when `o` is an object whose own `key` holds a string. */
function text(o: unknown, key: string): string | undefined {
  if (typeof o !== 'object' || o === null) return undefined;
  const v: unknown = Object.getOwnPropertyDescriptor(o, key)?.value;
  return typeof v === 'string' ? v : undefined;
}

/** GET /_ping; rejects when the engine does not answer 200 before `abortSignal`. */
export async function ping(docker: Dockerode, abortSignal: AbortSignal): Promise<void> {
  await dial(docker, '/_ping', undefined, abortSignal, false);
}

/** GET /version and /info, both under `abortSignal`. */
export async function engineFacts(docker: Dockerode, abortSignal: AbortSignal): Promise<EngineFacts> {
  const [version, info] = await Promise.all([
    dial(docker, '/version', undefined, abortSignal, false),
    dial(docker, '/info', undefined, abortSignal, false),
  ]);
  const v = text(version, 'Version');
  const api = text(version, 'ApiVersion');
  if (v === undefined || api === undefined)
    throw new Error('the engine answered /version without Version and ApiVersion');
  return {
    version: v,
    apiVersion: api,
    storageDriver: text(info, 'Driver'),
    cgroupVersion: text(info, 'CgroupVersion'),
  };
}

/** GET /events as a stream of JSON lines; it ends at `until`, or lives as long as the engine does. */
export async function events(docker: Dockerode, query: EventsQuery): Promise<Readable> {
  const stream = await dial(docker, '/events?', query, undefined, true);
  if (!(stream instanceof Readable)) throw new Error('the engine answered /events without a stream');
  return stream;
}
