/**
 * faasload's action runtime: one function instance, run as a child process
 * (`node dist/src/embedded/runtime/proxy.js [--port N] [--no-stdin-watch]`), speaking OpenWhisk's action
 * protocol over HTTP on 127.0.0.1 only.
 *
 * - Ready: once listening it prints exactly one line, `{"port":N}`, on stdout (N is the bound
 *   port; --port 0, the default, lets the OS choose). Nothing else is printed by the proxy itself;
 *   an action's own console output goes to stdout/stderr and the parent must keep draining both.
 * - POST /init {value:{name, main, code, binary?, env?}}: compiles `code` (JavaScript defining a
 *   function named `main`, default "main", or assigning `exports[main]`; async allowed), once.
 *   200 {"ok":true}; 502 {"error"} on a syntax error, a missing main or a binary (zip) action,
 *   which this runtime does not support. `env` entries are copied into process.env. Any second
 *   /init, even after a failed first one, is 403, as in OpenWhisk's runtimes.
 * - POST /run {value, activation_id, deadline, ...}: every field except `value` is exposed as
 *   process.env.__OW_<FIELD> (e.g. __OW_DEADLINE, epoch milliseconds), then main(value) is
 *   awaited. 200 with the object it returned; 502 {"error"} if it throws, rejects or returns
 *   anything but a plain object; 403 before a successful /init.
 * - One activation at a time: a /run that arrives while another runs waits for it to finish
 *   (FIFO). An action that never returns holds the instance until the parent kills it. If /init's
 *   env sets __OW_ALLOW_CONCURRENT to "true" (as OpenWhisk's invoker does for an action whose
 *   concurrency limit is above 1), runs overlap instead.
 * - Logs, as OpenWhisk's runtimes do: after each non-concurrent activation, and before its
 *   answer, the line XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX is written to stdout and to stderr, so
 *   that the parent can cut the action's output into one log per activation.
 * - No orphans: the process exits when its stdin ends (the parent closed the pipe or died) or its
 *   IPC channel disconnects. --no-stdin-watch turns the stdin watch off, for hosts where stdin is
 *   not tied to a parent (e.g. a container whose engine owns its lifetime). The watch is served by
 *   the event loop, so a synchronous action delays the exit until it returns.
 *
 * Dependency-free (node: built-ins only) so that it starts fast.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { compileFunction } from 'node:vm';

type ActionMain = (params: unknown) => unknown;
type Dict = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** OpenWhisk's end-of-activation marker (see the header). */
const SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n';

function isDict(x: unknown): x is Dict {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function parseArgs(argv: readonly string[]): { port: number; watchStdin: boolean } {
  let port = 0;
  let watchStdin = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') {
      port = Number(argv[++i]);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(`--port: '${argv[i]}' is not a port number`);
      }
    } else if (arg === '--no-stdin-watch') {
      watchStdin = false;
    } else {
      throw new Error(`unknown argument '${arg}' (usage: proxy.js [--port N] [--no-stdin-watch])`);
    }
  }
  return { port, watchStdin };
}

/** Compiles the action; throws with a message meant for the /init answer. */
function compile(value: Dict): ActionMain {
  if (value.binary === true) throw new Error('binary (zip) actions are not supported by this runtime');
  if (typeof value.code !== 'string') throw new Error('value.code must be a string of JavaScript');
  const name = value.main ?? 'main';
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new Error(`value.main: '${String(name)}' is not a function name`);
  }
  const module = { exports: {} as Dict };
  // The action's top level becomes this function's body: its variables live as long as the
  // instance, like a module's. `require` resolves node: built-ins.
  const factory = compileFunction(
    `${value.code}\n;return typeof ${name} === 'function' ? ${name} : module.exports[${JSON.stringify(name)}];`,
    ['module', 'exports', 'require'],
    { filename: typeof value.name === 'string' && value.name !== '' ? value.name : 'action.js' },
  );
  const found: unknown = factory(module, module.exports, createRequire(import.meta.url));
  if (typeof found !== 'function') throw new Error(`the action defines no function named '${name}'`);
  const env = value.env ?? {};
  if (!isDict(env)) throw new Error('value.env must be an object');
  for (const [k, v] of Object.entries(env)) process.env[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return found as ActionMain;
}

let action: ActionMain | undefined;
let initAttempted = false;
/** Serializes activations: each /run starts when the previous one has settled. */
let lastRun: Promise<unknown> = Promise.resolve();

function init(body: Dict): [number, Dict] {
  if (initAttempted) return [403, { error: 'cannot initialize the action more than once' }];
  initAttempted = true;
  if (!isDict(body.value)) return [502, { error: 'init: the body has no value object' }];
  try {
    action = compile(body.value);
    return [200, { ok: true }];
  } catch (e) {
    return [502, { error: messageOf(e) }];
  }
}

async function run(body: Dict): Promise<[number, Dict]> {
  const main = action;
  if (main === undefined) return [403, { error: 'the action is not initialized: POST /init first' }];
  for (const [k, v] of Object.entries(body)) {
    if (k !== 'value' && v !== undefined && v !== null) {
      process.env[`__OW_${k.toUpperCase()}`] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  try {
    const result = await main(body.value ?? {});
    if (!isDict(result)) return [502, { error: 'the action did not return a dictionary' }];
    return [200, result];
  } catch (e) {
    return [502, { error: messageOf(e) }];
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Resolves once `text` is handed to the stream (pipes to the parent are asynchronous). */
function writeOut(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

function send(res: ServerResponse, status: number, body: Dict): void {
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch (e) {
    status = 502;
    text = JSON.stringify({ error: `the action's result is not JSON: ${messageOf(e)}` });
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = `${req.method} ${req.url}`;
  if (route !== 'POST /init' && route !== 'POST /run') {
    req.resume();
    send(res, 404, { error: `no route ${route}` });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (e) {
    send(res, 400, { error: `the body is not JSON: ${messageOf(e)}` });
    return;
  }
  if (!isDict(body)) {
    send(res, 400, { error: 'the body must be a JSON object' });
    return;
  }
  if (route === 'POST /init') {
    const [status, answer] = init(body);
    send(res, status, answer);
    return;
  }
  if (process.env.__OW_ALLOW_CONCURRENT === 'true') {
    const [status, answer] = await run(body);
    send(res, status, answer);
    return;
  }
  const turn = lastRun.then(() => run(body));
  lastRun = turn.catch(() => undefined);
  const [status, answer] = await turn;
  if (status !== 403)
    await Promise.all([writeOut(process.stdout, SENTINEL), writeOut(process.stderr, SENTINEL)]);
  send(res, status, answer);
}

function start(): void {
  let args: { port: number; watchStdin: boolean };
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`proxy: ${messageOf(e)}\n`);
    process.exit(2);
  }
  if (args.watchStdin) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
  }
  process.on('disconnect', () => process.exit(0));
  // As a container's PID 1 the process has no default signal handlers: without this, `docker
  // stop` (and a dockerd shutting down) waits its whole stop timeout and then kills it.
  process.once('SIGTERM', () => process.exit(143));

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: messageOf(e) });
      else res.destroy();
    });
  });
  // Only the parent talks to this server: no request time limit (the parent enforces the
  // action's), and idle connections stay open until the parent closes them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 0;
  server.on('error', (e) => {
    process.stderr.write(`proxy: ${messageOf(e)}\n`);
    process.exit(1);
  });
  server.listen(args.port, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : args.port;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
}

start();
