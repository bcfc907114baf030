import { Controller, Get, Injectable, Module, Res, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';

export type HealthCheck = () => boolean | Promise<boolean>;
/** Why a part is not live (wedged: only a restart helps), or undefined when it is. */
export type LivenessCheck = () => string | undefined;

/** Where a service's parts register what "healthy" means for them (Kafka, PostgreSQL, peers). */
@Injectable()
export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly liveness = new Map<string, LivenessCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /** A part that can wedge (a consumer): /healthz fails while it says why it is not live. */
  registerLiveness(name: string, check: LivenessCheck): void {
    this.liveness.set(name, check);
  }

  live(): { status: 'ok' | 'not live'; reasons: Record<string, string> } {
    const reasons: Record<string, string> = {};
    for (const [name, check] of this.liveness) {
      const reason = check();
      if (reason !== undefined) reasons[name] = reason;
    }
    return { status: Object.keys(reasons).length === 0 ? 'ok' : 'not live', reasons };
  }

  async report(): Promise<{ status: 'ok' | 'unhealthy'; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of this.checks) {
      try {
        checks[name] = await check();
      } catch {
        checks[name] = false;
      }
    }
    return { status: Object.values(checks).every(Boolean) ? 'ok' : 'unhealthy', checks };
  }
}

/**
 * Kubernetes-style probes: /healthz (liveness: nothing wedged, e.g. no consumer stuck on a batch
 * (its partition not advancing); a failing probe means "restart me") and /readyz (readiness: every
 * dependency up now).
 */
@Controller()
export class HealthController {
  constructor(private readonly health: HealthChecks) {}

  @Get('healthz')
  live(@Res() response: Response): void {
    const report = this.health.live();
    response.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }

  @Get('readyz')
  async ready(@Res() response: Response): Promise<void> {
    const report = await this.health.report();
    response.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }
}

@Module({ controllers: [HealthController], providers: [HealthChecks], exports: [HealthChecks] })
export class HealthModule {}
