import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, Query, Res, UseGuards } from '@nestjs/common';
import { DASHBOARD_PAGE, VIEWER_COOKIE, ViewerGuard } from '../controllers/viewer.guard';
import type { Response } from 'express';

// The page and its scripts: plain files, no build step. They sit in services/telemetry/dashboard
// (shipped with the package), one folder above src/ and dist/ alike; uPlot comes from its package.
const PAGE_FOLDER = join(__dirname, '..', '..', 'dashboard');
const UPLOT_FOLDER = join(require.resolve('uplot/package.json'), '..', 'dist');

/** The only files served, by name: nothing from the request reaches the file system. */
const ASSETS: Readonly<Record<string, { readonly path: string; readonly type: string }>> = {
  'dashboard.js': { path: join(PAGE_FOLDER, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'charts.js': { path: join(PAGE_FOLDER, 'charts.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: join(PAGE_FOLDER, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'uPlot.esm.js': { path: join(UPLOT_FOLDER, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: join(UPLOT_FOLDER, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

// Scripts and styles from this origin only; uPlot sets element styles from script, which CSP allows.
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'";

/** GET /dashboard: the built-in live dashboard (a page, its scripts and styles). */
@Controller('dashboard')
@UseGuards(ViewerGuard)
export class DashboardPageController {
  private readonly cache = new Map<string, string>();

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CONTENT_SECURITY_POLICY)
  @Header('cache-control', 'no-cache')
  page(@Query('token') token: string | undefined, @Res({ passthrough: true }) response: Response): string | undefined {
    if (token !== undefined) {
      // ViewerGuard let the token through: keep it where the page's own requests carry it, off the address bar.
      response.cookie(VIEWER_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/' }).redirect(303, DASHBOARD_PAGE);
      return undefined;
    }
    return this.read(join(PAGE_FOLDER, 'index.html'));
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() response: Response): void {
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (asset === undefined) throw new NotFoundException(`no dashboard asset "${name}"; known: ${Object.keys(ASSETS).join(', ')}`);
    response.status(200).set({ 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(this.read(asset.path));
  }

  private read(path: string): string {
    let content = this.cache.get(path);
    if (content === undefined) this.cache.set(path, (content = readFileSync(path, 'utf8')));
    return content;
  }
}
