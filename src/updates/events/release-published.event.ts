import type { ReleaseDto } from '../dto/updates.dto.js';

/** A release was published; connected clients of its platform are told. */
export class ReleasePublishedEvent {
  static readonly event = 'release.published';
  constructor(readonly release: ReleaseDto) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'release.published': ReleasePublishedEvent;
  }
}
