/**
 * The runtime image of Docker instances, built locally and offline (no registry is reachable):
 * a single-layer rootfs imported from a tarball made here, holding
 *
 * - the host's node binary (process.execPath by default) at IMAGE_NODE_PATH,
 * - the shared libraries it links and the dynamic loader, at the paths `ldd` reports (so the
 *   binary's PT_INTERP resolves); LD_LIBRARY_PATH names their folders, as the image has no
 *   ld.so.cache,
 * - faasload's compiled runtime proxy (dist/src/embedded/runtime/proxy.js) and every file it imports by a
 *   relative specifier, under IMAGE_APP_DIR with their paths relative to dist/, plus a
 *   package.json that makes them ES modules,
 * - an empty /tmp (mode 1777). Nothing else: about ten files, because vfs storage copies every
 *   file of the image for each container.
 *
 * Its entrypoint is the proxy with --no-stdin-watch (a container's stdin is not tied to
 * faasload); the default command is `--port 0`. Tag: `faasload-runtime:<hash>`, where the hash
 * covers the bytes of every file and the image's config: an unchanged build reuses the image, a
 * rebuilt proxy or another node gets a new one. Labelled `faasload=runtime`.
 *
 * Limits: needs `ldd` on the host (glibc's; musl hosts are not handled) and a dynamically or
 * statically linked ELF node; the image runs only on an engine of the host's architecture.
 * Hashing reads every file once per call (about 0.25 s for node's ~100 MB); ensureRuntimeImage()
 * memoizes per process.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, posix, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { CONTENT_HASH_LABEL, KIND_LABEL, kindFilter, RUNTIME_LABEL_VALUE } from './labels.js';
import { type TarEntry, tarSize, tarStream } from './tar.js';

export const RUNTIME_IMAGE_REPO = 'faasload-runtime';
/** Where node lives in the image. */
export const IMAGE_NODE_PATH = '/usr/local/bin/node';
/** Where dist/'s files live in the image (dist/src/embedded/runtime/proxy.js → /app/src/embedded/runtime/proxy.js). */
export const IMAGE_APP_DIR = '/app';
/** Bumped when the layout or config below changes, so that older images are not reused. */
const LAYOUT_VERSION = 1;

export interface RuntimeImageOptions {
  /** The node binary to put in the image. Default: process.execPath. */
  nodePath?: string;
  /** The compiled proxy. Default: dist/src/embedded/runtime/proxy.js beside this module. */
  proxyPath?: string;
  /**
   * Aborts the build (an image already imported stays, labelled). With ensureRuntimeImage() the
   * first caller's signal governs the shared build.
   */
  signal?: AbortSignal;
}

/** What ensureRuntimeImage() found or built. */
export interface RuntimeImage {
  /** `faasload-runtime:<hash>`, for ContainerCreateOptions.Image. */
  tag: string;
  /** The engine's image id (sha256:...). */
  id: string;
  /** The full content hash (hex sha256) the tag is made from. */
  contentHash: string;
  /** False when an image with this tag was already there. */
  built: boolean;
  /** Time spent: hashing + (when built) tarball and import + inspect. */
  elapsedMs: number;
  /** The image's size as the engine reports it. */
  sizeBytes: number;
  /** The proxy's argv inside the image, entrypoint and default command together. */
  command: string[];
  /** Files in the image (directories not counted). */
  fileCount: number;
}

/** One file to copy from the host into the image. */
interface ImageFile {
  /** Absolute path inside the image. */
  path: string;
  /** The host file whose bytes go there (symlinks resolved). */
  source: string;
  mode: number;
  size: number;
}

function defaultProxyPath(): string {
  return fileURLToPath(new URL('../runtime/proxy.js', import.meta.url));
}

const execFileAsync = promisify(execFile);

/**
 * The shared objects `binary` needs, at the paths ldd reports (the loader looks them up there).
 * Throws if one is not found. A static binary needs none.
 */
export async function linkedLibraries(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('ldd', [binary], { encoding: 'utf8' }));
  } catch (e) {
    const out =
      String((e as { stdout?: unknown }).stdout ?? '') + String((e as { stderr?: unknown }).stderr ?? '');
    if (/not a dynamic executable|statically linked/.test(out)) return [];
    throw new Error(`ldd ${binary} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const paths: string[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '' || /statically linked/.test(line)) continue;
    const arrow = line.match(/^(\S+) => (.*?)(?: \(0x[0-9a-f]+\))?$/);
    if (arrow) {
      const target = arrow[2]!;
      if (target === 'not found') throw new Error(`ldd ${binary}: ${arrow[1]} not found`);
      if (target.startsWith('/')) paths.push(target);
      continue; // `=> ` with no path: the vDSO on some systems
    }
    const direct = line.match(/^(\/\S+) \(0x[0-9a-f]+\)$/);
    if (direct) paths.push(direct[1]!); // the dynamic loader
    // anything else (linux-vdso.so.1 (0x...)) is provided by the kernel
  }
  return [...new Set(paths)];
}

/** Relative specifiers of static imports, re-exports and literal dynamic imports. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** The proxy and what it imports by relative specifiers, transitively; all must lie under root. */
async function proxyFiles(proxyPath: string, root: string): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [resolve(proxyPath)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    const rel = relative(root, file);
    if (rel.startsWith('..') || rel === '') throw new Error(`the runtime imports ${file}, outside ${root}`);
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(RELATIVE_IMPORT)) pending.push(resolve(dirname(file), match[2]!));
  }
  return [...seen].sort();
}

/** dist/ for dist/src/embedded/runtime/proxy.js: the folder above the one named `src`, else the proxy's folder. */
function distRoot(proxyPath: string): string {
  const parts = resolve(proxyPath).split(sep);
  const at = parts.lastIndexOf('src');
  return at > 0 ? parts.slice(0, at).join(sep) || sep : dirname(resolve(proxyPath));
}

async function hostFile(path: string, source: string, mode: number): Promise<ImageFile> {
  const real = await realpath(source);
  const info = await stat(real);
  if (!info.isFile()) throw new Error(`${source} is not a regular file`);
  return { path, source: real, mode, size: info.size };
}

interface ImagePlan {
  files: ImageFile[];
  /** Small generated files (package.json). */
  generated: { path: string; data: Buffer; mode: number }[];
  command: string[];
  changes: string[];
}

/**
 * The image's files that containers may map from the host instead (DockerInstanceOptions
 * sharedFiles): the node binary (about 100 MB) and the libraries it links, whose text each idle
 * container would otherwise keep cached in its own copy (measured: 44 MB of PSS per idle
 * container with its own copy).
 */
export async function sharedHostFiles(
  nodePath: string = process.execPath,
): Promise<{ host: string; container: string }[]> {
  const files = [{ host: await realpath(nodePath), container: IMAGE_NODE_PATH }];
  // The libraries node links sit in the image at the paths ldd gives.
  for (const lib of await linkedLibraries(nodePath))
    files.push({ host: await realpath(lib), container: lib });
  return files;
}

async function planImage(nodePath: string, proxyPath: string): Promise<ImagePlan> {
  const files: ImageFile[] = [await hostFile(IMAGE_NODE_PATH, nodePath, 0o755)];
  const libDirs = new Set<string>();
  for (const lib of await linkedLibraries(nodePath)) {
    files.push(await hostFile(lib, lib, 0o755));
    libDirs.add(posix.dirname(lib));
  }
  const root = distRoot(proxyPath);
  for (const file of await proxyFiles(proxyPath, root)) {
    const inImage = posix.join(IMAGE_APP_DIR, relative(root, file).split(sep).join('/'));
    files.push(await hostFile(inImage, file, 0o644));
  }
  const proxyInImage = posix.join(IMAGE_APP_DIR, relative(root, resolve(proxyPath)).split(sep).join('/'));
  const entrypoint = [IMAGE_NODE_PATH, proxyInImage, '--no-stdin-watch'];
  const cmd = ['--port', '0'];
  const changes = [
    `ENTRYPOINT ${JSON.stringify(entrypoint)}`,
    `CMD ${JSON.stringify(cmd)}`,
    `ENV LD_LIBRARY_PATH=${[...libDirs].sort().join(':')}`,
    'WORKDIR /tmp',
  ];
  return {
    files,
    generated: [
      {
        path: posix.join(IMAGE_APP_DIR, 'package.json'),
        data: Buffer.from('{"type":"module"}\n'),
        mode: 0o644,
      },
    ],
    command: [...entrypoint, ...cmd],
    changes,
  };
}

async function contentHash(plan: ImagePlan): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ LAYOUT_VERSION, changes: plan.changes }));
  for (const g of plan.generated) hash.update(`\0${g.path}\0${g.mode}\0`).update(g.data);
  for (const f of plan.files) {
    hash.update(`\0${f.path}\0${f.mode}\0${f.size}\0`);
    for await (const chunk of createReadStream(f.source)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** The tar entries: every parent folder once, before what it holds, then the files. */
function tarEntries(plan: ImagePlan): TarEntry[] {
  const dirs = new Set<string>(['/tmp']);
  const all = [...plan.files.map((f) => f.path), ...plan.generated.map((g) => g.path)];
  for (const path of all) {
    for (let d = posix.dirname(path); d !== '/'; d = posix.dirname(d)) dirs.add(d);
  }
  const entries: TarEntry[] = [...dirs]
    .sort()
    .map((d) => ({ kind: 'dir', path: d, mode: d === '/tmp' ? 0o1777 : 0o755 }));
  for (const f of plan.files)
    entries.push({ kind: 'file', path: f.path, mode: f.mode, size: f.size, source: f.source });
  for (const g of plan.generated) entries.push({ kind: 'file', path: g.path, mode: g.mode, data: g.data });
  return entries;
}

function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: unknown }).statusCode === 404;
}

/** Imports the tarball and waits for the engine's last progress message; throws on an error message. */
async function importTarball(
  docker: Dockerode,
  plan: ImagePlan,
  tag: string,
  hash: string,
  signal?: AbortSignal,
) {
  const [repo, version] = tag.split(':') as [string, string];
  const changes = [
    ...plan.changes,
    `LABEL ${KIND_LABEL}=${RUNTIME_LABEL_VALUE} ${CONTENT_HASH_LABEL}=${hash}`,
  ];
  const progress = await docker.importImage(tarStream(tarEntries(plan)), {
    repo,
    tag: version,
    changes,
    message: 'faasload runtime: host node + proxy',
    ...(signal ? { abortSignal: signal } : {}),
  });
  await new Promise<void>((done, fail) => {
    docker.modem.followProgress(progress, (err: Error | null, messages: { error?: string }[]) => {
      const failed = err ?? messages.find((m) => m.error !== undefined);
      if (failed) fail(failed instanceof Error ? failed : new Error(`docker import: ${failed.error}`));
      else done();
    });
  });
}

const memo = new Map<string, Promise<RuntimeImage>>();

/**
 * Returns the runtime image for this node and proxy, importing it when no image has its tag.
 * Memoized per (engine, node, proxy) within the process: concurrent and later calls share one
 * build. A failed build is not memoized. Throws if a file is missing, ldd fails or the engine
 * refuses the import.
 */
export function ensureRuntimeImage(
  docker: Dockerode,
  options: RuntimeImageOptions = {},
): Promise<RuntimeImage> {
  const nodePath = options.nodePath ?? process.execPath;
  const proxyPath = options.proxyPath ?? defaultProxyPath();
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown };
  const key = JSON.stringify([modem.socketPath, modem.host, modem.port, nodePath, proxyPath]);
  let pending = memo.get(key);
  if (!pending) {
    pending = buildRuntimeImage(docker, nodePath, proxyPath, options.signal);
    memo.set(key, pending);
    pending.catch(() => memo.delete(key));
  }
  return pending;
}

/** As ensureRuntimeImage(), without the memo: hashes the files again and asks the engine. */
export async function buildRuntimeImage(
  docker: Dockerode,
  nodePath: string = process.execPath,
  proxyPath: string = defaultProxyPath(),
  signal?: AbortSignal,
): Promise<RuntimeImage> {
  const started = performance.now();
  const plan = await planImage(nodePath, proxyPath);
  const hash = await contentHash(plan);
  const tag = `${RUNTIME_IMAGE_REPO}:${hash.slice(0, 16)}`;
  let built = false;
  let info: Dockerode.ImageInspectInfo;
  try {
    info = await docker.getImage(tag).inspect();
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await importTarball(docker, plan, tag, hash, signal);
    built = true;
    info = await docker.getImage(tag).inspect();
  }
  return {
    tag,
    id: info.Id,
    contentHash: hash,
    built,
    elapsedMs: performance.now() - started,
    sizeBytes: info.Size,
    command: plan.command,
    fileCount: plan.files.length + plan.generated.length,
  };
}

/** The tarball's size for the current node and proxy (for reports), without building anything. */
export async function runtimeTarballBytes(
  nodePath: string = process.execPath,
  proxyPath: string = defaultProxyPath(),
): Promise<number> {
  return tarSize(tarEntries(await planImage(nodePath, proxyPath)));
}

/**
 * Removes runtime images (label faasload=runtime) other than `keep` (a tag or an id); images that
 * a container still uses are left alone. Returns how many were removed.
 */
export async function removeRuntimeImages(docker: Dockerode, keep?: string): Promise<number> {
  const images = await docker.listImages({ filters: { label: [kindFilter(RUNTIME_LABEL_VALUE)] } });
  let removed = 0;
  for (const image of images) {
    if (keep !== undefined && (image.Id === keep || (image.RepoTags ?? []).includes(keep))) continue;
    try {
      await docker.getImage(image.Id).remove({ force: false });
      removed++;
    } catch (e) {
      const status = (e as { statusCode?: unknown }).statusCode;
      if (status !== 404 && status !== 409) throw e; // 409: in use by a container
    }
  }
  return removed;
}
