export { CUSTOM_RULE_ID, parseRuleHeader, positionAt, type CustomRuleMeta, type RuleFileProblem } from './header';
export { compileCustomRule, placeholderText, runCustomRules, type CustomFinding, type CustomRule, type CustomRuleLoad } from './rules';
export { loadCustomRulesFrom, CUSTOM_RULES_DIR } from './load';
