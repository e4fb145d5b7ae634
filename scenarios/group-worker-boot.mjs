// A worker thread does not inherit the runner's tsx loader: register it, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./group-worker.ts');
