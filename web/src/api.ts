/**
 * The dashboard's own calls to the lab server (not the lanes' traffic: those go through the
 * client library): the shared control client (client/control.ts), same-origin. Errors carry the
 * server's message so the page can show it.
 */
import { ControlClient } from '../../client/control.js';

export { ApiError } from '../../client/control.js';
export type { CutAnswer, Handshake } from '../../contract/index.js';

export const api = new ControlClient(location.origin);
