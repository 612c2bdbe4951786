/**
 * OpenWhisk's swagger (test/fixtures/openwhisk/apiv1swagger.json) and a small validator for the
 * parts of it faasload relies on: request operations, query parameters and bodies, and records.
 */

import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { OPENWHISK_SWAGGER } from './paths.js';

export type Schema = Record<string, unknown>;
export const SWAGGER = JSON.parse(readFileSync(OPENWHISK_SWAGGER, 'utf8')) as {
  basePath: string;
  paths: Record<string, Record<string, Schema>>;
  definitions: Record<string, Schema>;
};

function deref(schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref === 'string') return deref(SWAGGER.definitions[ref.replace('#/definitions/', '')]!);
  return schema;
}

/** Problems of `value` against `schema` (strict: properties the schema does not name are problems). */
export function validate(value: unknown, schemaIn: Schema, at: string): string[] {
  const schema = deref(schemaIn);
  const out: string[] = [];
  const type = schema.type as string | undefined;
  const isObj = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'string' && typeof value !== 'string') out.push(`${at}: not a string`);
  if (type === 'integer' && !Number.isInteger(value)) out.push(`${at}: not an integer`);
  if (type === 'boolean' && typeof value !== 'boolean') out.push(`${at}: not a boolean`);
  if (type === 'array' && !Array.isArray(value)) out.push(`${at}: not an array`);
  if (type === 'object' && !isObj) out.push(`${at}: not an object`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    out.push(`${at}: ${String(value)} not in enum`);
  if (typeof schema.minLength === 'number' && typeof value === 'string' && value.length < schema.minLength) {
    out.push(`${at}: shorter than ${schema.minLength}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => {
      out.push(...validate(v, schema.items as Schema, `${at}[${i}]`));
    });
  }
  const props = schema.properties as Record<string, Schema> | undefined;
  if (props || Array.isArray(schema.required)) {
    if (!isObj) return [...out, `${at}: not an object`];
    const obj = value as Record<string, unknown>;
    for (const r of (schema.required as string[] | undefined) ?? []) {
      if (!(r in obj)) out.push(`${at}: missing required ${r}`);
    }
    for (const [k, v] of Object.entries(obj)) {
      const p = props?.[k];
      if (!p) out.push(`${at}: unknown property ${k}`);
      else out.push(...validate(v, p, `${at}.${k}`));
    }
  }
  return out;
}

/** The swagger operation for a method and path (basePath included), with its path parameters. */
function operation(method: string, pathname: string): { op: Schema; params: Schema[] } | undefined {
  const rel = pathname.startsWith(SWAGGER.basePath) ? pathname.slice(SWAGGER.basePath.length) : undefined;
  if (rel === undefined) return undefined;
  const segs = rel.split('/');
  for (const [template, item] of Object.entries(SWAGGER.paths)) {
    const tsegs = template.split('/');
    if (tsegs.length !== segs.length) continue;
    const match = tsegs.every((t, i) => (t.startsWith('{') && segs[i] !== '') || t === segs[i]);
    const op = item[method.toLowerCase()];
    if (match && op) {
      const params = [
        ...((item.parameters as unknown as Schema[] | undefined) ?? []),
        ...((op.parameters as Schema[]) ?? []),
      ];
      return { op, params };
    }
  }
  return undefined;
}

/** Problems of one request against the swagger: the operation, its query parameters and its body. */
export function checkRequest(
  method: string,
  url: URL,
  headers: IncomingMessage['headers'],
  body: string,
): string[] {
  const where = `${method} ${url.pathname}${url.search}`;
  const found = operation(method, url.pathname);
  if (!found) return [`${where}: no such operation in the swagger`];
  const out: string[] = [];
  for (const [name, value] of url.searchParams) {
    const p = found.params.find((x) => x.in === 'query' && x.name === name);
    if (!p) out.push(`${where}: undeclared query parameter ${name}`);
    else out.push(...validate(p.type === 'integer' ? Number(value) : value, p, `${where} ?${name}`));
  }
  const bodyParam = found.params.find((x) => x.in === 'body');
  if (body !== '') {
    if (!bodyParam) out.push(`${where}: a body where the swagger takes none`);
    else {
      const consumes = found.op.consumes as string[] | undefined;
      if (consumes && !consumes.some((c) => headers['content-type']?.startsWith(c))) {
        out.push(`${where}: content-type ${headers['content-type']} not in ${consumes.join(', ')}`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
        out.push(...validate(parsed, bodyParam.schema as Schema, `${where} body`));
      } catch {
        out.push(`${where}: the body is not JSON`);
      }
    }
  } else if (bodyParam?.required) out.push(`${where}: the required body is missing`);
  return out;
}
