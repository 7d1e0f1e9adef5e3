// Cold start: the smallest useful job (the same as trivial.py), in the compiled form the runtime takes.
import { fn } from '@openfn/language-common';
export * from '@openfn/language-common';
export default [fn((state) => ({ ...state, data: { greeting: 'hello ' + state.data.name, ok: true } }))];
