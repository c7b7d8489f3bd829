/** Entry point of an egress worker process (forked by primary.ts; see protocol.ts). */
import { runEgressWorker } from './worker.js';

await runEgressWorker();
