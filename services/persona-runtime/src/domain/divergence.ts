// Where a real policy server's answers part from the reference model's: the server is
// authoritative in a load run, and the report lists what it decided differently.
/** How the server's answer differed from the reference model's. */
export type DivergenceKind = 'policy-revision' | 'command' | 'enrollment-refused' | 'check-in-refused';

export interface Divergence {
  readonly kind: DivergenceKind;
  readonly tick: number;
  readonly handsetId: number;
  /** The answer's field (assigned_revision, commands, status). */
  readonly field: string;
  readonly expected: string;
  readonly received: string;
}

export interface DivergenceFigures {
  readonly total: number;
  readonly byKind: Readonly<Partial<Record<DivergenceKind, number>>>;
  /** The first ones in the order they were seen. */
  readonly first: readonly Divergence[];
}
