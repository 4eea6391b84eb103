export * from '@telemetry/rule-engine';
export { createRules, type RulesDeps, type RulesService, type RulesTopics } from './rules.js';
