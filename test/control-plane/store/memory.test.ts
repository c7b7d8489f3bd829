import { createMemoryStore } from '../../../src/control-plane/store/memory.js';
import { storeConformance } from './conformance.js';

storeConformance('memory', ({ clock }) => createMemoryStore({ clock }));
