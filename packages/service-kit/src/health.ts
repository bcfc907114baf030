import { Controller, Get, Injectable, Module, Res, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';

export type HealthCheck = () => boolean | Promise<boolean>;

/** Where a service's parts register what "healthy" means for them (Kafka, PostgreSQL, peers). */
@Injectable()
export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
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

/** Kubernetes-style probes: /healthz (liveness) and /readyz (readiness: every dependency up). */
@Controller()
export class HealthController {
  constructor(private readonly health: HealthChecks) {}

  @Get('healthz')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(@Res() response: Response): Promise<void> {
    const report = await this.health.report();
    response.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }
}

@Module({ controllers: [HealthController], providers: [HealthChecks], exports: [HealthChecks] })
export class HealthModule {}
