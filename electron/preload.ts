import { contextBridge, ipcRenderer } from 'electron';
import { buildBridge } from '../shared/bridge.ts';
import type { EventMessage } from '../shared/contract.ts';

// No logic here: the contract object is built by shared/bridge.ts, exactly as the test harness builds it.
contextBridge.exposeInMainWorld(
  'alertdesk',
  buildBridge(
    (channel, payload) => ipcRenderer.invoke(channel, payload),
    (channel, listener) => {
      ipcRenderer.on(channel, (_event, message: EventMessage) => listener(message));
    },
  ),
);
