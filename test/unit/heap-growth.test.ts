// `scriptalias serve` lets V8's old generation grow to 4 × what is live (plugin/heap-growth.ts), unless
// whoever started Node chose the growth: then theirs stands.
import test from 'ava';
import { HEAP_GROWING_PERCENT, heapGrowingPercentToSet } from '../../plugin/heap-growth.js';

test('sets the proxy heap growth when Node was started without one', (t) => {
  t.is(heapGrowingPercentToSet([], undefined), HEAP_GROWING_PERCENT);
  t.is(heapGrowingPercentToSet(['--max-old-space-size=512', '--enable-source-maps'], '--max-semi-space-size=8'), HEAP_GROWING_PERCENT);
  // A flag that only starts with the same letters is another flag.
  t.is(heapGrowingPercentToSet(['--heap-growing-percentage-x=1'], undefined), HEAP_GROWING_PERCENT);
});

test('keeps the growth given on the node command line or in NODE_OPTIONS, in either spelling', (t) => {
  t.is(heapGrowingPercentToSet(['--heap-growing-percent=150'], undefined), null);
  t.is(heapGrowingPercentToSet(['--heap_growing_percent=50'], undefined), null);
  t.is(heapGrowingPercentToSet([], '--inspect --heap-growing-percent=200'), null);
});
