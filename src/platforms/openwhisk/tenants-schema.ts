/**
 * The JSON Schema of an OpenWhisk tenants file (tenants.ts): parseTenants checks a file against
 * it first (every unknown key, type and value, each as file:line, with the nearest known key),
 * and docs/openwhisk-tenants.schema.json is this object, for editors (regenerate: npm run
 * docs:generate). Presence and the key's form stay in parseTenants, which never shows a key.
 */
import { fileURLToPath } from 'node:url';
import type { Schema } from '../../util/schema-check.js';

export const TENANTS_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'faasload OpenWhisk tenants file',
  description: 'One API key (and namespace) per user of a multi-tenant OpenWhisk (docs/platforms.md).',
  type: 'object',
  additionalProperties: false,
  properties: {
    apihost: { type: 'string', minLength: 1, description: "Every tenant's default API host." },
    tenants: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, description: 'For messages and the manifest.' },
          // No pattern: a message must never show a key (tenants.ts checks its form).
          auth: { type: 'string', description: "This tenant's key, UUID:KEY (never shown)." },
          namespace: { type: 'string', minLength: 1, description: "Default '_' (the key's own namespace)." },
          apihost: { type: 'string', minLength: 1, description: "Overrides the file's apihost." },
          owners: {
            type: 'array',
            items: { type: ['string', 'number'] },
            description: 'Trace users or apps (FunctionSpec.owner) sent to this tenant.',
          },
        },
      },
    },
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(TENANTS_SCHEMA, null, 2)}\n`);
}
