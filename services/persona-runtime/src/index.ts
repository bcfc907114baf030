// Public entry of @duet/persona-runtime, for composition roots (the embedded mode) and tests.
export { PersonaRuntimeModule, type PersonaRuntimeModuleOptions } from './persona-runtime.module';
export { HypervisorPeer, PeerUnavailable, PolicyGateway, type PolicyCallSchedule } from './domain/ports';
export { MeasuredPolicyGateway } from './clients/policy-gateway.measured';
export { PerHandsetPolicyGateway, type PerHandsetSettings } from './clients/policy-gateway.per-handset';
export type { Divergence, DivergenceFigures, DivergenceKind } from './domain/divergence';
export type { LatencyPercentiles, PolicyLoadFigures, PolicyMethod, RpcFigures } from './clients/policy-call.recorder';
export { KafkaHypervisorPeer } from './clients/hypervisor-peer.kafka';
export { GrantInbox } from './domain/grant-inbox';
export { GrpcPolicyGateway } from './clients/policy-gateway.grpc';
export { InProcessHypervisorPeer, InProcessPolicyGateway } from './clients/in-process.peers';
export { PersonaRuntimeSettings } from './persona-runtime.settings';
export { PersonaRunsService } from './services/persona-runs.service';
export { loadPersonaRuntimeConfig, type PersonaRuntimeConfig } from './config';
export { startPersonaRuntimeApp, type PersonaRuntimeServerOptions } from './persona-runtime.app';
