// Records what @openfn/language-common 3.3.4's operations give for tests/adaptors/common/test_common_recorded.py.
// usage: PEER=/folder/with/language-common node record_common.mjs > common_operations.json
import { createRequire } from 'node:module';
const require = createRequire(process.env.PEER + '/package.json');
const c = await import(require.resolve('@openfn/language-common'));
console.log = () => {};  // cursor() logs; stdout carries only the JSON
const S = () => ({ data: { people: [{ id: 1, name: 'Ann', tags: ['a'] }, { id: 2, name: 'Bob' }, { id: 3, name: 'Cy', team: 'x' }],
  roles: [{ pid: 1, role: 'admin' }, { pid: 3, role: 'user' }], obj: { a: 1, b: 2 }, text: 'mr JOHN doe-smith' },
  references: [{ foo: 'first' }, { foo: 'second' }], index: 5 });
const cases = {
  chunk: () => c.chunk([1, 2, 3, 4, 5], 2),
  splitKeys: () => c.splitKeys({ a: 1, b: 2, c: 3 }, ['b']),
  arrayToString: () => c.arrayToString([1, 'a', null, { x: 1 }], ', '),
  toArray1: () => c.toArray(1), toArray2: () => c.toArray([1]), toArrayObj: () => c.toArray({ a: 1 }),
  humanProper: () => c.humanProper('mr JOHN doe-smith'), humanProperNum: () => c.humanProper(12),
  scrubEmojis: () => c.scrubEmojis('hi 😀 there', '#'), scrubEmojisDefault: () => c.scrubEmojis('hi 😀 there'),
  dataPath: () => c.dataPath('x.y'), dataPathDollar: () => c.dataPath('$.x'), referencePath: () => c.referencePath('[0].foo'),
  jsonValue: () => c.jsonValue(S().data, 'people[1].name'),
  sourceValue: async () => c.sourceValue('$.data.people[*].name')(S()),
  source: async () => c.source('$.data.people[*].name')(S()),
  dataValue: async () => c.dataValue('people[0].name')(S()),
  lastReferenceValue: async () => c.lastReferenceValue('foo')(S()),
  index: async () => c.index()(S()),
  field: () => c.field('k', 1), fields: () => c.fields(c.field('a', 1), c.field('b', 2)),
  merge: async () => c.merge('$.data.people[*]', c.fields(c.field('org', 'acme')))(S()),
  mergeObj: async () => c.merge('$.data.obj', c.fields(c.field('org', 'acme')))(S()),
  composeNextState: () => c.composeNextState(S(), { n: 1 }),
  composeNextStateNoRefs: () => c.composeNextState({ data: 1 }, 2),
  group: async () => c.group(S().data.people, 'team')(S()),
  fnIfFalse: async () => c.fnIf(false, c.fn((s) => ({ ...s, ran: true })))(S()),
  fnIfTrue: async () => c.fnIf((s) => s.index === 5, c.fn((s) => ({ ...s, ran: true })))(S()),
  as: async () => c.as('saved', c.fn((s) => ({ ...s, data: 'x' })))(S()),
  combine: async () => c.combine(c.fn((s) => ({ ...s, a: 1 })), c.fn((s) => ({ ...s, b: 2 })))(S()),
  eachObj: async () => c.each('$.data.obj', c.fn((s) => ({ ...s, seen: [...(s.seen || []), s.data] })))(S()),
  eachList: async () => c.each('$.data.people[*]', c.fn((s) => ({ ...s, seen: [...(s.seen || []), s.data.id] })))(S()),
  eachEmpty: async () => c.each('$.data.nothing[*]', c.fn((s) => ({ ...s, ran: true })))(S()),
  join: async () => c.join('$.data.people[*]', '$.data.roles[*]', 'pid')(S()),
  map: async () => c.map('$.data.people[*]', (p) => p.id)(S()),
  asData: async () => c.asData('$.data.people[*].id', S()),
  alterState: async () => c.alterState((s) => ({ ...s, x: 1 }))(S()),
  parseCsv: async () => c.parseCsv('a,b\n1,2\n3,4')(S()),
  parseCsvOpts: async () => c.parseCsv('a;b\n1;2', { delimiter: ';', columns: false })(S()),
  parseCsvCb: async () => c.parseCsv('a,b\n1,2\n3,4', { chunkSize: 1 }, (s, rows) => ({ ...s, got: [...(s.got || []), rows] }))(S()),
  validate: async () => c.validate({ type: 'object', required: ['zzz'] }, '$.data.obj')(S()),
  cursor: async () => c.cursor(3, { key: 'page' })(S()),
  // runs after `cursor` in this process: the key 'page' set there persists, as in a run
  cursorDefault: async () => c.cursor('2024-01-02T03:04:05.000Z')(S()),
};
const out = {};
for (const [name, f] of Object.entries(cases)) {
  try { const v = await f(); out[name] = { value: v === undefined ? '__undefined__' : JSON.parse(JSON.stringify(v ?? null)) }; }
  catch (e) { out[name] = { error: `${e.name}: ${e.message}` }; }
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
