/** Benchmark history: format, importers, analysis, budgets, reports (issue 4). */
export * from './types';
export * from './history';
export * from './environment';
export * from './importers';
export * from './stats';
export * from './changePoints';
export * from './analysis';
export * from './budgets';
export * from './report';
export * from './runner';
export * from './profileSeries';
export * from './historyView';
