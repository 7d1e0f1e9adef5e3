// Drive the real @openfn/runtime 1.9.5 the way @openfn/cli's runner child does, for the benchmarks.
//
//   node --experimental-vm-modules --no-warnings bench/openfn_driver.mjs \
//        --job bench/jobs/x.js --state in.json --output out.json [--peers bench/.peers/node]
//
// The job is given in compiled form (imports + `export default [...]`), because the registry has
// no @openfn/cli or @openfn/compiler. Loggers are the CLI's defaults (R/T at `default`, JOB at
// `debug`); the linker points every @openfn/language-* import at the installed package. The
// output is written as the CLI writes it: JSON.stringify(result, null, 2) without configuration.
// The process exits by itself once the output is written: runtime 1.9.5 leaves its step timer
// running after a failed expression, which would keep a bare `await run()` alive for 300 s.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function parseArgs(argv) {
  const args = { peers: path.join(path.dirname(fileURLToPath(import.meta.url)), '.peers', 'node') };
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!args.job || !args.output) throw new Error('usage: openfn_driver.mjs --job X.js [--state S.json] --output O.json');
  return args;
}

async function main() {
  const started = Date.now();
  const args = parseArgs(process.argv.slice(2));
  const modules = path.join(args.peers, 'node_modules', '@openfn');
  const load = (name, file) => import(pathToFileURL(path.join(modules, name, file)).href);
  const [{ default: run }, { default: createLogger }] = await Promise.all([
    load('runtime', 'dist/index.js'), load('logger', 'dist/index.js')]);
  const logger = createLogger('R/T', { level: 'default' });
  const jobLogger = createLogger('JOB', { level: 'debug' });
  const cli = createLogger('CLI', { level: 'default' });
  const expression = await readFile(args.job, 'utf8');
  const state = args.state ? JSON.parse(await readFile(args.state, 'utf8')) : { data: {}, configuration: {} };
  const plan = { workflow: { name: path.basename(args.job, '.js'), steps: [{ expression }] }, options: {} };
  const linker = { modules: {
    '@openfn/language-common': { path: path.join(modules, 'language-common') },
    '@openfn/language-http': { path: path.join(modules, 'language-http') },
  } };
  try {
    const result = await run(plan, state, { logger, jobLogger, linker, defaultRunTimeoutMs: 300000 });
    if (result && typeof result === 'object') delete result.configuration;
    await writeFile(args.output, result === undefined ? '' : JSON.stringify(result, null, 2));
    cli.success(`State written to ${args.output}`);
    const failed = Object.keys((result && result.errors) || {}).length;
    if (failed) cli.warn(`Errors reported in ${failed} jobs`);
    cli.success(`Finished in ${Date.now() - started}ms${failed ? '' : ' ✨'}`);
    process.exit(0);
  } catch (error) {
    cli.always(`Workflow failed in ${Date.now() - started}ms. ${error && error.message}`);
    process.exit(1);
  }
}

main().catch((error) => { console.error(error); process.exit(2); });
