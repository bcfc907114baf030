// The JSON `duet stack up|status --json` and `duet run --json` print, as the e2e specs read it.

/** One part of the stack (the broker, the database, a service instance). */
export interface StackPart {
  name: string;
  running: boolean;
  pid?: number;
  /** The pid of the supervisor that restarts the part when it dies. */
  supervisorPid?: number;
  ready: boolean;
  started?: boolean;
  /** Where it listens: host:port for Kafka and PostgreSQL; `grpc 127.0.0.1:<port>, https://127.0.0.1:<port>` for a service. */
  address?: string;
}

/** `duet stack up --json`'s last line. */
export interface StackUp {
  ok: boolean;
  error?: string;
  seconds: number;
  phases: Record<string, number>;
  ports: Record<string, number>;
  parts: StackPart[];
  environment: Record<string, string>;
}

/** `duet run --json`'s last line. */
export interface RunResult {
  runId: string;
  phase: string;
  digest: string;
  handsets: number;
  ticks: number;
  shards: number;
  wallSeconds: number;
  kpis: Record<string, number>;
  passed?: boolean;
}

/** The parts of a stack with one instance of each service, in the order `stack up` lists them. */
export const ONE_INSTANCE_EACH = [
  'kafka',
  'postgres',
  'hypervisor-core',
  'persona-runtime-personal',
  'persona-runtime-business',
  'policy-authority',
  'telemetry',
];
