// Records what jsonpath-plus (as @openfn/language-common 3.3.4 calls it) returns for each case.
// usage: node record_jsonpath.mjs cases.json > recorded.json
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(process.env.PEER + '/node_modules/@openfn/language-common/package.json');
const { JSONPath } = await import(require.resolve('jsonpath-plus'));
const { documents, cases } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = [];
for (const [doc, path] of cases) {
  try {
    const value = JSONPath({ path, json: documents[doc] });
    out.push({ document: doc, path, value: value === undefined ? null : value });
  } catch (e) {
    out.push({ document: doc, path, error: `${e.name}: ${e.message}` });
  }
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
