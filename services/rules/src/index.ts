export * from './evaluate/index.js';
export { createRules, type RulesDeps, type RulesService, type RulesTopics } from './rules.js';
