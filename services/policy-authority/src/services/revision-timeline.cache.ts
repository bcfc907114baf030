import { Injectable } from '@nestjs/common';
import type { Queryable } from '@duet/service-kit';
import { RevisionTimeline, type Publication } from '../domain/revision-timeline';
import { PublicationRepository } from '../repositories/publication.repository';

const MAX_CACHED_RUNS = 64; // runs whose timelines stay in memory; older ones reload on their next check-in

/**
 * Each run's RevisionTimeline, in memory so a check-in batch computes assigned revisions without
 * a query. The stored last revision is the version stamp: a caller that read it (in its own
 * transaction) gets a timeline at least that recent, so another instance's publications are seen.
 */
@Injectable()
export class RevisionTimelineCache {
  private readonly timelines = new Map<string, RevisionTimeline>();

  constructor(private readonly publications: PublicationRepository) {}

  /** The run's timeline; reloaded when `storedLastRevision` shows the cached one is behind. */
  async timeline(runId: string, client?: Queryable, storedLastRevision?: number): Promise<RevisionTimeline> {
    const cached = this.timelines.get(runId);
    if (cached !== undefined && (storedLastRevision === undefined || cached.lastRevision >= storedLastRevision)) return cached;
    const loaded = new RevisionTimeline(await this.publications.listForRun(runId, client));
    this.remember(runId, loaded);
    return loaded;
  }

  /** Records a committed publication: appended when the cache holds every earlier one, else dropped. */
  published(runId: string, publication: Publication): void {
    const cached = this.timelines.get(runId);
    if (cached === undefined) return;
    if (cached.lastRevision === publication.revision - 1) cached.add(publication);
    else if (cached.lastRevision < publication.revision) this.timelines.delete(runId);
  }

  private remember(runId: string, timeline: RevisionTimeline): void {
    const current = this.timelines.get(runId);
    // A concurrent load may have installed a newer one; keep whichever knows more.
    if (current !== undefined && current.lastRevision > timeline.lastRevision) return;
    this.timelines.delete(runId);
    this.timelines.set(runId, timeline);
    if (this.timelines.size > MAX_CACHED_RUNS) this.timelines.delete(this.timelines.keys().next().value!);
  }
}
