import { Injectable } from '@nestjs/common';
import type { policy } from '@duet/contracts';
import { PublicationRepository } from '../repositories/publication.repository';
import { toPolicyMessage } from './contract-messages';

const MAX_CACHED_POLICIES = 256; // (run, revision) pairs; a run publishes a handful

/**
 * The policy message of each run's revision, kept in memory: a revision, once published, never
 * changes its policy version, and stored versions never change, so enrollments and check-ins that
 * hand a policy over need no query for it.
 */
@Injectable()
export class RevisionPolicyCache {
  private readonly policies = new Map<string, policy.Policy>();

  constructor(private readonly publications: PublicationRepository) {}

  /** The policy of the run's revision; undefined for revision 0 (AMAPI defaults) or one not published. */
  async policyOf(runId: string, revision: number): Promise<policy.Policy | undefined> {
    if (revision === 0) return undefined;
    const key = `${revision} ${runId}`;
    const cached = this.policies.get(key);
    if (cached !== undefined) return cached;
    const publication = await this.publications.findWithDocument(runId, revision);
    if (publication === undefined) return undefined;
    const message = toPolicyMessage(publication.document);
    if (this.policies.size >= MAX_CACHED_POLICIES) this.policies.delete(this.policies.keys().next().value!);
    this.policies.set(key, message);
    return message;
  }
}
