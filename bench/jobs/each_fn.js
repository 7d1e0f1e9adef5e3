// each + fn over every record (the same as each_fn.py), in the compiled form the runtime takes.
import { each, fn } from '@openfn/language-common';
export * from '@openfn/language-common';
export default [
  fn((state) => ({ ...state, summary: { count: 0, visits: 0, districts: {} }, contacts: [] })),
  each('$.data.records[*]', fn((state) => {
    const record = state.data;
    const summary = state.summary;
    summary.count += 1;
    summary.visits += record.visits;
    summary.districts[record.district] = (summary.districts[record.district] || 0) + 1;
    if (record.visits > 8) state.contacts.push({ externalId: record.id, name: record.name.toUpperCase() });
    return state;
  })),
  fn((state) => ({ data: { summary: state.summary, contacts: state.contacts }, lastIndex: state.index })),
];
