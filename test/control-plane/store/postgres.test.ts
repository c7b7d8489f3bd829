import { openPostgresStore } from '../../../src/control-plane/store/postgres/store.js';
import { freshDatabase } from '../../helpers/postgres.js';
import { storeConformance } from './conformance.js';

storeConformance('postgres', async ({ clock, t }) => openPostgresStore({ url: await freshDatabase(t), clock }));
