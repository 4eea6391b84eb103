export { createPipeline, type Pipeline, type PipelineDeps } from './pipeline.js';
export type { FaultInfo, PipelineFaults, PipelineTopics } from './process-batch.js';
