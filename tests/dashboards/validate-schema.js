#!/usr/bin/env node
// Validate Grafana dashboards against Grafana's own schema.
//
// @grafana/schema (npm, pinned to the Grafana release in compose.yaml) ships
// the dashboard and panel schemas only as TypeScript types generated from
// Grafana's CUE kinds; it contains no JSON Schema. This script turns those
// types into JSON Schema with ts-json-schema-generator (interfaces become
// closed objects, so an unknown or misspelt key is an error) and validates
//   - every dashboard against `Dashboard` (raw/dashboard/x),
//   - every panel's `options` against its panel type's `Options`,
//   - every panel's `fieldConfig.defaults.custom` against its `FieldConfig`
//     (for the panel types that define one).
// Usage: validate-schema.js DASHBOARD.json...
// Prints one TAP line per check; exits 1 when one fails, 2 on setup errors.
'use strict';

const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..', '..');
function need(mod) {
  try {
    return require(require.resolve(mod, { paths: [repo] }));
  } catch (e) {
    console.error(`validate-schema: cannot load ${mod} (run npm ci in ${repo}): ${e.message}`);
    process.exit(2);
  }
}
const tsj = need('ts-json-schema-generator');
const Ajv = need('ajv');

// Grafana 11 shipped the types next to the ES modules (dist/esm/raw/...,
// *_types.gen.d.ts); Grafana 12+ ships them under dist/types/raw/...
// (types.gen.d.ts). Both layouts are accepted.
const schemaDist = path.join(repo, 'node_modules', '@grafana', 'schema', 'dist');
const schemaRoots = [path.join(schemaDist, 'types', 'raw'), path.join(schemaDist, 'esm', 'raw')];
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'node_modules', '@grafana', 'schema', 'package.json'), 'utf8'));

function generate(file, type) {
  const config = { path: file, type, skipTypeCheck: true, expose: 'export', topRef: true, jsDoc: 'none' };
  return tsj.createGenerator(config).createSchema(type);
}

// The first .d.ts of the kind in dir/x, in either layout.
function typesFile(rel) {
  for (const root of schemaRoots) {
    const dir = path.join(root, rel, 'x');
    if (!fs.existsSync(dir)) continue;
    const f = fs.readdirSync(dir).find((n) => n.endsWith('types.gen.d.ts'));
    if (f) return path.join(dir, f);
  }
  return null;
}
function panelTypesFile(type) {
  return typesFile(path.join('composable', type, 'panelcfg'));
}

const ajv = new Ajv({ allErrors: true, strict: false });
let failed = 0;
function result(ok, desc, errors) {
  if (ok) {
    console.log(`ok - ${desc}`);
    return;
  }
  failed++;
  console.log(`not ok - ${desc}`);
  for (const e of (errors || []).slice(0, 12)) {
    const extra = e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : '';
    console.log(`    # ${e.instancePath || '/'} ${e.message}${extra}`);
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: validate-schema.js DASHBOARD.json...');
  process.exit(2);
}

let validateDashboard;
try {
  const dashFile = typesFile('dashboard');
  if (!dashFile) throw new Error('no dashboard types.gen.d.ts');
  validateDashboard = ajv.compile(generate(dashFile, 'Dashboard'));
} catch (e) {
  console.error(`validate-schema: cannot build the Dashboard schema from @grafana/schema ${pkg.version}: ${e.message}`);
  process.exit(2);
}
console.log(`# schemas generated from @grafana/schema ${pkg.version} TypeScript types`);

const panelValidators = {};
function panelValidator(type, which) {
  const key = `${type}.${which}`;
  if (!(key in panelValidators)) {
    const f = panelTypesFile(type);
    panelValidators[key] = null;
    if (f && new RegExp(`export interface ${which}\\b`).test(fs.readFileSync(f, 'utf8'))) {
      panelValidators[key] = ajv.compile(generate(f, which));
    }
  }
  return panelValidators[key];
}

for (const file of files) {
  const base = path.basename(file);
  let dash;
  try {
    dash = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    result(false, `${base}: readable JSON`, [{ message: e.message }]);
    continue;
  }
  result(validateDashboard(dash), `${base}: matches Grafana's Dashboard schema`, validateDashboard.errors);
  for (const p of dash.panels || []) {
    const name = `${base}: panel "${p.title}" (${p.type})`;
    const opts = panelValidator(p.type, 'Options');
    if (opts) result(opts(p.options || {}), `${name}: options match the ${p.type} panel schema`, opts.errors);
    else result(false, `${name}: Grafana's schema has ${p.type} panel options`, [{ message: 'no Options type' }]);
    const custom = panelValidator(p.type, 'FieldConfig');
    if (custom) {
      const c = ((p.fieldConfig || {}).defaults || {}).custom || {};
      result(custom(c), `${name}: fieldConfig.defaults.custom matches the ${p.type} field config schema`, custom.errors);
    }
  }
}
process.exit(failed ? 1 : 0);
