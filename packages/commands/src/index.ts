export { parseReply, type Reply } from './reply.js';
export { attributesProblem, parseReport, type Report } from './report.js';
export {
  type Attributes,
  createShadowStore,
  type DesiredWire,
  type ReportRefusal,
  type Shadow,
  type ShadowStore,
  toDesiredWire,
} from './shadow.js';
export {
  type Command,
  type CommandStatus,
  type CommandStore,
  type CommandWire,
  createCommandStore,
  type NewCommand,
  toWire,
} from './store.js';
