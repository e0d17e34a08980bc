import type { NestApplicationOptions } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { ResolvedConfig } from '@cc/config';
import { ClusterIoAdapter, DomainExceptionFilter, RealtimeService, restValidationPipe } from '@cc/platform';

/** How every HTTP app is created: the raw body is kept, for webhooks signed over it. */
export const HTTP_APP_OPTIONS: NestApplicationOptions = { rawBody: true };

/** Everything an HTTP app needs before it listens: logging, validation, errors, sockets, OpenAPI. */
export function configureHttpApp(app: NestExpressApplication, config: ResolvedConfig): void {
  app.useLogger(app.get(Logger));
  // an inbound mail provider posts the whole message, attachments base64-encoded, as JSON
  const bodyLimit = Math.ceil(config.smtp.maxMessageBytes * 1.4);
  app.useBodyParser('json', { limit: bodyLimit });
  app.useBodyParser('urlencoded', { limit: bodyLimit, extended: true });
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
