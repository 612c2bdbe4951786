/**
 * Placeholder templates for the HTTP platform's URL and body: `{name}` is replaced by one of an
 * invocation's values. An unknown `{name}` is a usage error, so a typo never goes on the wire; other
 * braces (JSON's, `{}`) are literal text.
 */
import { FaasloadError } from '../../errors.js';
import type { Arrival } from '../../schedule/types.js';
import type { FunctionSpec } from '../types.js';

export const PLACEHOLDERS = ['function', 'id', 'seq', 'durationMs', 'memoryMb'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** One invocation's values as text; undefined when the plan has none (e.g. no memory in the trace). */
export type TemplateValues = Record<Placeholder, string | undefined>;

/** Literal text and placeholders alternate: parts[0], names[0], parts[1], ..., parts[names.length]. */
interface Template {
  readonly parts: readonly string[];
  readonly names: readonly Placeholder[];
}

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** The default body: a small JSON object; missing values are null. */
export const DEFAULT_BODY = '{"seq":{seq},"durationMs":{durationMs},"memoryMb":{memoryMb}}';

/** function: FunctionSpec.name; id: the trace function's id; numbers as JS writes them. */
export function templateValues(fn: FunctionSpec, arrival: Arrival): TemplateValues {
  const num = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? String(x) : undefined);
  return {
    function: fn.name,
    id: fn.id,
    seq: num(arrival.seq),
    durationMs: num(arrival.durationMs),
    memoryMb: num(arrival.memoryMb),
  };
}

/** `what` names the template in errors, e.g. 'url'. */
function parse(text: string, what: string): Template {
  const parts: string[] = [];
  const names: Placeholder[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1] as Placeholder;
    if (!PLACEHOLDERS.includes(name)) {
      throw new FaasloadError(
        'E_USAGE',
        `${what} template '${text}': unknown placeholder {${name}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
      );
    }
    parts.push(text.slice(last, m.index));
    names.push(name);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return { parts, names };
}

function render(t: Template, value: (name: Placeholder) => string): string {
  let out = t.parts[0]!;
  for (let i = 0; i < t.names.length; i++) out += value(t.names[i]!) + t.parts[i + 1]!;
  return out;
}

/** Where one invocation goes: undici's origin and path, and the URL for messages (no credentials). */
export interface Target {
  origin: string;
  path: string;
  url: string;
  /** Basic credentials from the URL's user:password, as an Authorization header value. */
  authorization?: string;
}

/**
 * A URL template: values are URL-encoded (encodeURIComponent), missing ones are empty. Throws
 * E_USAGE naming the template unless it is an http or https URL once filled in.
 */
export class UrlTemplate {
  private readonly template: Template;
  /** scheme://host[:port] without credentials, placeholders left as written: for the manifest. */
  readonly address: string;

  /**
   * The URL uses no placeholder but {function} and {id}: every invocation of a function goes to
   * the same target, so callers may keep it per function instead of building it per invocation.
   */
  readonly perFunction: boolean;

  constructor(readonly text: string) {
    this.template = parse(text, 'url');
    this.perFunction = this.template.names.every((n) => n === 'function' || n === 'id');
    const sample = this.parseUrl(
      this.fill(Object.fromEntries(PLACEHOLDERS.map((p) => [p, p])) as TemplateValues),
    );
    if (sample === undefined) {
      throw new FaasloadError('E_USAGE', `url template '${text}' is not an http:// or https:// URL`);
    }
    const authority = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(?:[^/?#]*@)?([^/?#]*)/.exec(text);
    this.address = authority?.[2]?.includes('{')
      ? `${authority[1]!.toLowerCase()}${authority[2]}`
      : sample.origin;
  }

  /** Throws FaasloadError E_PLATFORM if the values make it invalid (e.g. an odd name in the host). */
  target(values: TemplateValues): Target {
    const filled = this.fill(values);
    const url = this.parseUrl(filled);
    if (url === undefined) {
      throw new FaasloadError('E_PLATFORM', `url template '${this.text}' gives an invalid URL`);
    }
    const path = `${url.pathname}${url.search}`;
    const target: Target = { origin: url.origin, path, url: `${url.origin}${path}` };
    if (url.username !== '' || url.password !== '') {
      const userPass = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      target.authorization = `Basic ${Buffer.from(userPass).toString('base64')}`;
    }
    return target;
  }

  private fill(values: TemplateValues): string {
    return render(this.template, (name) => encodeURIComponent(values[name] ?? ''));
  }

  private parseUrl(text: string): URL | undefined {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return undefined;
    }
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  }
}

/**
 * A body template. It is JSON if it parses as JSON with every placeholder written 0; then values
 * are escaped for a JSON string (so `"{id}"` is safe) and missing ones are written `null` (so put
 * numeric placeholders outside quotes). Otherwise values go in as they are and missing ones are empty.
 */
export class BodyTemplate {
  private readonly template: Template;
  readonly isJson: boolean;

  constructor(readonly text: string) {
    this.template = parse(text, 'body');
    this.isJson = isJson(render(this.template, () => '0'));
  }

  render(values: TemplateValues): string {
    if (!this.isJson) return render(this.template, (name) => values[name] ?? '');
    return render(this.template, (name) => {
      const v = values[name];
      return v === undefined ? 'null' : JSON.stringify(v).slice(1, -1);
    });
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
