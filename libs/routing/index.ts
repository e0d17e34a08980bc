export * from './routing.module';
export * from './queues.service';
export * from './offer-views.service';
export * from './contact-lifecycle.service';
export * from './transfers.service';
export * from './customer-channel.service';
export * from './engine/routing-leader.service';
export type { PriorityPolicy, RoutingStep } from './engine/routing-model';
export * from './routing-audit';
