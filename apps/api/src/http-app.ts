import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { ResolvedConfig } from '@cc/config';
import { ClusterIoAdapter, DomainExceptionFilter, RealtimeService, restValidationPipe } from '@cc/platform';

/** Everything an HTTP app needs before it listens: logging, validation, errors, sockets, OpenAPI. */
export function configureHttpApp(app: INestApplication, config: ResolvedConfig): void {
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(restValidationPipe());
  app.useGlobalFilters(new DomainExceptionFilter());
  app.useWebSocketAdapter(new ClusterIoAdapter(app, app.get(RealtimeService), config.webchat.allowedOrigins));
  app.enableCors({ origin: config.webchat.allowedOrigins === '*' ? true : config.webchat.allowedOrigins });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Contact center API')
      .setDescription('REST endpoints. The socket.io protocols (/agents, /webchat) are in docs/sockets.md.')
      .setVersion('0.1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
