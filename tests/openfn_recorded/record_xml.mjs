// Records js2xmlparser's output (the version @openfn/language-commcare 4.2.1 uses for submit).
// usage: PEER=/folder/with/js2xmlparser node record_xml.mjs xml_input.json > commcare_submit_xml.json
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(process.env.PEER + '/package.json');
const js2xmlparser = require('js2xmlparser');
const { root, input } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const version = JSON.parse(readFileSync(require.resolve('js2xmlparser/package.json'), 'utf8')).version;
process.stdout.write(JSON.stringify({ js2xmlparser: version, root, input, output: js2xmlparser(root, input) }, null, 1) + '\n');
