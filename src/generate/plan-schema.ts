/**
 * The JSON Schema of a generation plan: the one source of what a plan may say. plan.ts checks
 * every plan against it before anything runs (src/util/schema-check.ts), and
 * docs/generate-plan.schema.json is this object, for editors (regenerate: npm run docs:generate;
 * test/generate-plan.test.ts fails when they differ). What a schema cannot say (a catalog
 * function's parameters and their ranges) plan.ts checks after it.
 */
import { fileURLToPath } from 'node:url';
import type { Schema } from '../util/schema-check.js';

const scalar: Schema = { type: ['number', 'string', 'boolean'], description: 'a constant' };

/** Inclusive bounds [min, max]. */
const pair = (type: 'integer' | 'number'): Schema => ({
  type: 'array',
  items: { type },
  minItems: 2,
  maxItems: 2,
});

export const PLAN_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'faasload generate plan',
  description:
    'Which functions to run, how many times, on which inputs and with which parameters, all drawn from one seed (docs/generate.md).',
  type: 'object',
  additionalProperties: false,
  required: ['functions'],
  properties: {
    seed: {
      type: 'integer',
      minimum: 0,
      maximum: 4294967295,
      default: 1,
      description: 'Seed of every draw (inputs, parameters, orders).',
    },
    concurrency: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: 1,
      description: 'Executions in flight at once.',
    },
    rate: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'At most this many executions started per second (default: no bound).',
    },
    tenants: {
      enum: ['per-function', 'shared'],
      default: 'per-function',
      description: 'One user per function, as FaaSLoad did, or one for all.',
    },
    functions: {
      type: 'array',
      minItems: 1,
      items: { $ref: '#/$defs/function' },
      description: 'The functions to run; executions interleave them.',
    },
  },
  $defs: {
    function: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'runs'],
      properties: {
        name: {
          type: 'string',
          pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
          description:
            'A catalog function (image, compress, json, hash, matmul, synthetic); with path or action, the name of the function in the dataset.',
        },
        path: {
          type: 'string',
          minLength: 1,
          description:
            "A user function: a folder holding an OpenWhisk-style Node.js action (package.json, whose 'main' names the entry file, default index.js, which defines or exports main). Relative to the plan's folder.",
        },
        action: {
          type: 'string',
          minLength: 1,
          description:
            'An action already deployed on the platform (not deployed nor removed by faasload): its name there.',
        },
        runs: { type: 'integer', minimum: 1, description: 'Executions of this function.' },
        memory_mb: {
          type: 'integer',
          minimum: 64,
          maximum: 32768,
          description: "The function's memory limit, MB (the platform's default when absent).",
        },
        inputs: { $ref: '#/$defs/inputs' },
        params: { $ref: '#/$defs/params' },
        settings: {
          type: 'array',
          minItems: 1,
          items: { $ref: '#/$defs/params' },
          description:
            "Parameter settings crossed with the inputs: run r takes input slot floor(r / S) and setting r mod S (S settings), so every input is run with every setting. Each setting's values override params.",
        },
      },
    },
    inputs: {
      type: 'object',
      additionalProperties: false,
      properties: {
        generator: {
          enum: ['none', 'bytes', 'text', 'records', 'image', 'matrices'],
          description:
            "User functions and actions: the kind of input made for each execution (the catalog's generators); a catalog function uses its own.",
        },
        count: { type: 'integer', minimum: 1, default: 1, description: 'Inputs to draw among.' },
        size: {
          $ref: '#/$defs/value',
          description:
            "Each input's size in its generator's unit (bytes; text bytes; records; pixels per side; matrix side), drawn once per input.",
        },
        distinct: {
          type: 'boolean',
          default: false,
          description:
            'Draw inputs without replacement: the input slots walk a seeded permutation of the count inputs (each used once before any is used again). Default: with replacement.',
        },
      },
    },
    params: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { $ref: '#/$defs/value' },
      description:
        "Parameter name to value; a catalog function's names and ranges are checked against the catalog. Each becomes a typed column param_<name>.",
    },
    value: {
      oneOf: [
        scalar,
        {
          type: 'object',
          additionalProperties: false,
          required: ['range_int'],
          properties: { range_int: pair('integer') },
          description: 'range_int: [min, max], inclusive',
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['range_float'],
          properties: { range_float: pair('number') },
          description: 'range_float: [min, max)',
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['ensemble'],
          properties: {
            ensemble: {
              type: 'array',
              minItems: 1,
              items: { type: ['number', 'string', 'boolean'] },
            },
          },
          description: 'ensemble: [v, ...], one drawn uniformly',
        },
      ],
    },
  },
};

/** The schema as docs/generate-plan.schema.json holds it. */
export function planSchemaJson(): string {
  return `${JSON.stringify(PLAN_SCHEMA, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(planSchemaJson());
