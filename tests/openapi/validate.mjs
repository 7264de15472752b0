// Checks recorded HTTP exchanges against docs/openapi.yaml: every
// response's status must be documented for its operation, its JSON body
// must match the documented schema, and every documented operation must
// have been exercised.  Usage: node validate.mjs SPEC RECORDS.jsonl
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import YAML from 'yaml';

const [specPath, recordsPath] = process.argv.slice(2);
const spec = YAML.parse(readFileSync(specPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(spec, 'openapi.json');

const escape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const deref = (obj) => {
  while (obj && obj.$ref) {
    obj = obj.$ref.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return obj;
};
const templates = Object.keys(spec.paths).map((p) => ({
  path: p,
  re: new RegExp('^' + p.replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));

const seen = new Set();
const failures = [];
const lines = readFileSync(recordsPath, 'utf8').split('\n').filter(Boolean);
for (const line of lines) {
  const r = JSON.parse(line);
  const where = `${r.method} ${r.path} -> ${r.status}`;
  const t = templates.find((t) => t.re.test(r.path.split('?')[0]));
  const op = t && spec.paths[t.path][r.method.toLowerCase()];
  if (!op) { failures.push(`${where}: no such operation in the spec`); continue; }
  seen.add(`${r.method} ${t.path}`);
  const key = op.responses[String(r.status)] ? String(r.status)
    : (r.status >= 400 && op.responses.default ? 'default' : null);
  if (!key) { failures.push(`${where}: status not documented`); continue; }
  const resp = deref(op.responses[key]);
  const media = resp.content && resp.content['application/json'];
  if (!media) {
    if (!resp.content && r.body !== '') failures.push(`${where}: documented without a body, got one`);
    continue;
  }
  let body;
  try { body = JSON.parse(r.body); } catch { failures.push(`${where}: body is not JSON`); continue; }
  // Validate through the spec itself, so that $refs resolve in place.
  const pointer = op.responses[key].$ref
    ? op.responses[key].$ref.slice(1) + '/content/application~1json/schema'
    : `/paths/${escape(t.path)}/${r.method.toLowerCase()}/responses/${key}/content/application~1json/schema`;
  const validate = ajv.getSchema(`openapi.json#${pointer}`);
  if (!validate(body)) failures.push(`${where}: ${ajv.errorsText(validate.errors)}`);
}
for (const [p, item] of Object.entries(spec.paths)) {
  for (const m of ['get', 'post', 'delete', 'put', 'patch']) {
    if (item[m] && !seen.has(`${m.toUpperCase()} ${p}`)) failures.push(`${m.toUpperCase()} ${p}: never exercised`);
  }
}
for (const f of failures) console.error(f);
console.log(`${lines.length} responses checked against ${specPath}: ${failures.length} problems`);
process.exit(failures.length ? 1 : 0);
