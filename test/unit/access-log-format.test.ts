// The access log's hand-built number text must read exactly as the JSON.stringify of the number it
// replaces (a line's "ms" field is parsed by log tools as a number, and compared by people).
import test from 'ava';
import { millisText } from '../../src/ops/access-format.js';

test('millisText(ms) is the text of Math.round(ms * 1000) / 1000 for edge and random durations', (t) => {
  const edges = [0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.12, 0.999, 0.9995, 1, 1.5, 12.345, 999.9996, 60000, 123456.789];
  const random = Array.from({ length: 20000 }, (_, i) => Math.random() * (i % 3 === 0 ? 5000 : 3));
  const wrong = [...edges, ...random].filter((ms) => millisText(ms) !== String(Math.round(ms * 1000) / 1000));
  t.deepEqual(wrong, []);
});
