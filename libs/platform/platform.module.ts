import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BullModule, type BullRootModuleOptions } from '@nestjs/bullmq';
import { JwtModule } from '@nestjs/jwt';
import { LoggerModule } from 'nestjs-pino';
import type { ResolvedConfig } from '@cc/config';
import { QueueName } from '@cc/shared';
import { APP_CONFIG } from './config.token';
import { dataSourceOptions } from './database/data-source-options';
import { DatabaseConnections } from './database/database-connections';
import { queueConnection } from './queues/queue-connection';
import { JobsService } from './queues/jobs.service';
import { RealtimeService } from './realtime/realtime.service';
import { tokenSigningKey, TokensService } from './auth/tokens.service';
import { AccessGuard } from './auth/access.guard';

/** Config, database, queues, socket fan-out, tokens and logging: what every app and lib stands on. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    const bull = queueConnection(config);
    const connections = new DatabaseConnections();
    const database = dataSourceOptions(config.databaseUrl, config.databasePoolSize);
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            autoLogging: { ignore: (req) => req.url === '/health' },
            redact: ['req.headers.authorization'],
          },
        }),
        // the pool builds its connections with a class that knows when each has closed, which closeApp waits for
        TypeOrmModule.forRoot({ ...database, extra: { ...database.extra, Client: connections.Client }, autoLoadEntities: true }),
        // the PostgreSQL backend's options are not in @nestjs/bullmq's Redis-shaped typings
        BullModule.forRoot(bull as BullRootModuleOptions),
        BullModule.registerQueue({ name: QueueName.Inbound }, { name: QueueName.Timers }, { name: QueueName.Outbound }),
        JwtModule.register({ secret: tokenSigningKey(config.jwtSecret) }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, { provide: DatabaseConnections, useValue: connections }, TokensService, JobsService, RealtimeService, AccessGuard],
      exports: [APP_CONFIG, DatabaseConnections, TokensService, JobsService, RealtimeService, AccessGuard, BullModule, JwtModule],
    };
  }
}
