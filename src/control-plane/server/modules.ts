/**
 * The route modules the API server mounts, in order (their `start()` hooks run in this order too).
 * A feature adds itself with one import and one entry here; see ApiModule in ./types.ts.
 */
import { dpServerModule } from '../dp-server/module.js';
import { guiModule } from '../gui/module.js';
import { resourcesModule } from '../resources/routes.js';
import { systemViewsModule } from '../resources/system-views.js';
import { tokensModule } from '../tokens/index.js';
import { zoneSyncModule } from '../zone-sync/module.js';
import { systemModule } from './system.js';
import type { ApiModule } from './types.js';

export const apiModules: ApiModule[] = [systemModule, resourcesModule, systemViewsModule, tokensModule, dpServerModule, zoneSyncModule, guiModule];
