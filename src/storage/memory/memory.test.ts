import { runStoreSuite } from '../conformance.js';
import { MemoryStore } from './store.js';

runStoreSuite({
  name: 'memory',
  open: (options) =>
    Promise.resolve(
      new MemoryStore(
        options.watchBufferSize === undefined ? {} : { watchBufferSize: options.watchBufferSize },
      ),
    ),
});
