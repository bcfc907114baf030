// Public entry of @duet/hypervisor-core, for composition roots (the embedded mode) and tests.
export { HypervisorCoreModule, type HypervisorCoreAdapters } from './hypervisor-core.module';
export { HypervisorCoreSettings } from './hypervisor-core.settings';
export { HypervisorRunsService } from './services/hypervisor-runs.service';
export { loadHypervisorCoreConfig, type HypervisorCoreConfig } from './config';
export { startHypervisorCoreApp, type HypervisorCoreServerOptions } from './hypervisor-core.app';
