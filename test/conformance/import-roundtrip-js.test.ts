// Round trip through import-apache on every oracle scenario, JS runtime (test/helpers/import-roundtrip.ts).
import { registerRoundTrip } from '../helpers/import-roundtrip.js';

registerRoundTrip('js');
