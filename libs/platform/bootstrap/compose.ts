import { DynamicModule, Module, type Type } from '@nestjs/common';
import type { ResolvedConfig } from '@cc/config';
import { PlatformModule } from '../platform.module';

/** The root module of one process: the platform plus the parts it runs (the API, the workers, or both). */
export function composeRoot(config: ResolvedConfig, parts: Type[]): DynamicModule {
  @Module({})
  class RootModule {}
  return { module: RootModule, imports: [PlatformModule.forRoot(config), ...parts] };
}
