// Which revision of a run's policy a handset's group follows at a tick. A run numbers its
// publications 1, 2, 3 ... in publish order (revision 0 is AMAPI's defaults); the revision of a
// group at tick t is the publication with the highest effective tick <= t whose groups include the
// group, the later publication winning on equal ticks. This is sim-core's PolicyTimeline.policyFor
// over a PolicyRegistry, restated for group names that are not known in advance: the spec checks
// the two agree on random timelines.

/** One publication of a policy version to groups of a run's handsets. */
export interface Publication {
  /** Run-scoped number, 1, 2, 3 ... in publish order. */
  readonly revision: number;
  /** First tick at which it applies. */
  readonly effectiveTick: number;
  /** Groups it applies to; undefined = every group, including groups not seen yet. */
  readonly groups: readonly string[] | undefined;
}

export class RevisionTimeline {
  // Ascending by (effectiveTick, revision): the last entry at or before a tick that names the
  // group is the answer.
  private readonly publications: Publication[] = [];
  private latest = 0;

  constructor(publications: readonly Publication[] = []) {
    for (const publication of publications) this.add(publication);
  }

  /** The highest revision added so far (0 when none). */
  get lastRevision(): number {
    return this.latest;
  }

  add(publication: Publication): void {
    const list = this.publications;
    let at = list.length;
    while (at > 0 && isAfter(list[at - 1], publication)) at--;
    list.splice(at, 0, publication);
    this.latest = Math.max(this.latest, publication.revision);
  }

  /** Revision assigned to handsets of `group` at `tick`; 0 = AMAPI defaults. */
  revisionFor(group: string, tick: number): number {
    const list = this.publications;
    // Binary search for the last publication effective at or before the tick.
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (list[middle].effectiveTick <= tick) low = middle + 1;
      else high = middle;
    }
    for (let k = low - 1; k >= 0; k--) {
      const groups = list[k].groups;
      if (groups === undefined || groups.includes(group)) return list[k].revision;
    }
    return 0;
  }

  /** The publication of a revision, if any. */
  publication(revision: number): Publication | undefined {
    return this.publications.find((publication) => publication.revision === revision);
  }
}

function isAfter(a: Publication, b: Publication): boolean {
  return a.effectiveTick > b.effectiveTick || (a.effectiveTick === b.effectiveTick && a.revision > b.revision);
}
