export type { MaintenanceHealth } from './maintenance.js';
export { createPipeline, type Pipeline, type PipelineDeps } from './pipeline.js';
export type { FaultInfo, PipelineFaults, PipelineTopics } from './process-batch.js';
export { createRejections, type Rejections, type RejectionsDeps } from './rejections/index.js';
