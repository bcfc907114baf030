import { Injectable } from '@nestjs/common';
import { ServiceIdentities, authorizationOf } from '@duet/service-kit';
import { PolicyAuthoritySettings } from '../policy-authority.settings';
import { AdminTokenGuard } from './admin-token.guard';

/**
 * Who may enroll a handset that is enrolled already (which moves it and answers its credential):
 * the admin, and persona-runtime, whose business worlds are re-provisioned mid-run. Holding the
 * run's enrollment token is not enough; every handset of the run holds it.
 */
@Injectable()
export class ReEnrollAuthority {
  private readonly identities: ServiceIdentities | undefined;

  constructor(
    settings: PolicyAuthoritySettings,
    private readonly admin: AdminTokenGuard,
  ) {
    this.identities = settings.serviceIdentityKey === undefined ? undefined : new ServiceIdentities(settings.serviceIdentityKey);
  }

  allows(metadata: { get(key: string): unknown[] } | undefined): boolean {
    const authorization = authorizationOf(metadata);
    return this.admin.isAdmin(authorization) || this.identities?.serviceOf(authorization) === 'persona-runtime';
  }
}
