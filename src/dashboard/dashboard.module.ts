import { Module } from '@nestjs/common';
import { DashboardAssets } from './dashboard-assets';
import { DashboardController } from './dashboard.controller';

/** GET / (the dashboard page and its files) and the timeline data behind its chart. */
@Module({ controllers: [DashboardController], providers: [DashboardAssets] })
export class DashboardModule {}
