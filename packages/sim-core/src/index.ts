// Public entry of @duet/sim-core: the engine (time, shards, randomness, digest), the models and
// the in-process simulation. Services import the pieces they own from here.
export * from './errors';
export * from './engine/random';
export * from './engine/shard';
export * from './engine/pacing';
export * from './engine/digest';
export * from './model/enums';
export * from './model/calibration';
export * from './model/catalogue';
export * from './model/policy';
export * from './model/compliance';
export * from './model/policy-timeline';
export * from './model/fleet';
export * from './model/time';
export * from './model/events';
export * from './model/batches';
export * from './model/commands';
export * from './model/cross-persona';
export * from './model/workload';
export * from './model/hypervisor';
export * from './model/agent';
export * from './measure/tick-kpis';
export * from './measure/final-state';
export * from './measure/run-digest';
export * from './measure/summary';
export * from './simulation';
