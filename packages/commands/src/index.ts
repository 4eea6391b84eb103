export { parseReply, type Reply } from './reply.js';
export {
  type Command,
  type CommandStatus,
  type CommandStore,
  type CommandWire,
  createCommandStore,
  type NewCommand,
  toWire,
} from './store.js';
