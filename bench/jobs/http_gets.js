// One GET per id, one after the other, on one keep-alive connection (the same as http_gets.py).
import { each, get } from '@openfn/language-http';
export * from '@openfn/language-http';
export default [each('$.data.ids[*]', get('/items', { query: { id: (state) => state.data } }))];
