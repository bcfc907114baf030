import { Injectable } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { Database, Outbox } from '@duet/service-kit';
import { Observable, Subject } from 'rxjs';
import { checkName, checkRunId } from '../domain/columnar-batch';
import { IssueList } from '../domain/request-error';
import { PublicationRepository, type PublicationWithDocument } from '../repositories/publication.repository';
import { PolicyChangedPublisher } from '../publishers/policy-changed.publisher';
import { toPolicyMessage } from './contract-messages';
import { PolicyCatalogueService } from './policy-catalogue.service';
import { RevisionTimelineCache } from './revision-timeline.cache';

/** Publications of policy versions to a run's groups, numbered per run (PublishPolicy, AssignPolicy). */
@Injectable()
export class PublicationService {
  private readonly published = new Subject<PublicationWithDocument>();

  constructor(
    private readonly database: Database,
    private readonly catalogue: PolicyCatalogueService,
    private readonly publications: PublicationRepository,
    private readonly timelines: RevisionTimelineCache,
    private readonly policyChanged: PolicyChangedPublisher,
    private readonly outbox: Outbox,
  ) {}

  async publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse> {
    const issues = new IssueList();
    checkRunId(issues, request.runId);
    checkName(issues, 'name', request.name, true);
    checkVersion(issues, 'version', request.version);
    request.groups.forEach((group, index) => checkName(issues, `groups[${index}]`, group, true));
    issues.throwIfAny('invalid-argument', 'PublishPolicyRequest');
    const publication = await this.publish(request.runId, request.name, request.version, request.groups, request.effectiveTick, 'name', 'version');
    return {
      policy: toPolicyMessage(publication.document),
      revision: publication.revision,
      runId: publication.runId,
      groups: publication.groups === undefined ? [] : [...publication.groups],
      effectiveTick: publication.effectiveTick,
    };
  }

  async assignPolicy(request: policy.AssignPolicyRequest): Promise<policy.AssignPolicyResponse> {
    const issues = new IssueList();
    checkRunId(issues, request.runId);
    checkName(issues, 'group', request.group, true);
    checkName(issues, 'policy_name', request.policyName, true);
    checkVersion(issues, 'policy_version', request.policyVersion);
    issues.throwIfAny('invalid-argument', 'AssignPolicyRequest');
    const publication = await this.publish(
      request.runId,
      request.policyName,
      request.policyVersion,
      [request.group],
      request.effectiveTick,
      'policy_name',
      'policy_version',
    );
    return { group: request.group, policyName: publication.policyName, policyVersion: publication.policyVersion, revision: publication.revision };
  }

  /**
   * Every publication of the run so far, then each new one as this instance publishes it. The live
   * feed is subscribed before the stored ones are read, so none falls between the two.
   */
  changes(runId: string): Observable<PublicationWithDocument> {
    return new Observable<PublicationWithDocument>((subscriber) => {
      let replayed = false;
      let lastRevision = 0;
      const pending: PublicationWithDocument[] = [];
      const emit = (publication: PublicationWithDocument) => {
        if (publication.revision <= lastRevision) return;
        lastRevision = publication.revision;
        subscriber.next(publication);
      };
      const live = this.published.subscribe((publication) => {
        if (publication.runId !== runId) return;
        if (replayed) emit(publication);
        else pending.push(publication);
      });
      this.publications.listWithDocuments(runId).then(
        (stored) => {
          for (const publication of [...stored, ...pending]) emit(publication);
          replayed = true;
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => live.unsubscribe();
    });
  }

  private async publish(
    runId: string,
    name: string,
    version: number,
    groupNames: readonly string[],
    effectiveTick: number,
    namePath: string,
    versionPath: string,
  ): Promise<PublicationWithDocument> {
    const stored = await this.catalogue.find(name, version, namePath, versionPath);
    // No groups means every group, as sim-core's PolicyTimeline.assign without groups.
    const groups = groupNames.length === 0 ? undefined : [...new Set(groupNames)];
    const publication = await this.database.transaction(async (client) => {
      const revision = await this.publications.nextRevision(client, runId);
      const made: PublicationWithDocument = {
        runId,
        revision,
        policyName: stored.name,
        policyVersion: stored.version,
        groups,
        effectiveTick,
        document: stored.document,
      };
      await this.publications.insert(client, made);
      // Announced once the commit is done, by the outbox: stored and announced, or neither.
      await this.policyChanged.enqueue(client, {
        runId,
        policyName: stored.name,
        version: stored.version,
        groups: groups ?? [],
        effectiveTick,
        revision,
        policyJson: JSON.stringify(stored.document),
      });
      return made;
    });
    await this.outbox.relay(); // a failed publish is retried by the relay: the publication is stored
    this.timelines.published(runId, publication);
    this.published.next(publication);
    return publication;
  }
}

function checkVersion(issues: IssueList, path: string, version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) issues.add(path, 'min', `must be a whole number ≥ 0, 0 = latest (got ${version})`);
}
