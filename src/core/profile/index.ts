/** Public surface of src/core/profile. */
export { analyzeProfiles, processSourcesFromRun } from './analyze';
export { analyzeProfilesInWorker } from './analyzeInWorker';
export type { AnalyzeOptions, ProfileSource } from './analyze';
export { importCpuProfile } from './cpuProfile';
export { importHeapProfile } from './heapProfile';
export type { CallFrame, CpuProfileModel, HeapProfileModel } from './model';
export { parseProfileJson, readCpuProfileJson, readProfileText } from './profileJson';
export { clearScriptCache as clearProfileCaches } from './scriptStore';
export type * from './report';
