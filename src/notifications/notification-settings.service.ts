import { Injectable } from '@nestjs/common';
import { NotificationSettingsDto, type UpdateNotificationSettingsDto } from './dto/notifications.dto.js';
import { NotificationStateRepository } from './notification-state.repository.js';

/** A user's notification preferences: previews and do-not-disturb. */
@Injectable()
export class NotificationSettingsService {
  constructor(private readonly state: NotificationStateRepository) {}

  async get(userId: string): Promise<NotificationSettingsDto> {
    return NotificationSettingsDto.from(await this.state.settings(userId));
  }

  async update(userId: string, dto: UpdateNotificationSettingsDto): Promise<NotificationSettingsDto> {
    const settings = await this.state.updateSettings(userId, {
      showPreviews: dto.showPreviews,
      doNotDisturbUntil:
        dto.doNotDisturbUntil === undefined
          ? undefined
          : dto.doNotDisturbUntil === null
            ? null
            : new Date(dto.doNotDisturbUntil),
    });
    return NotificationSettingsDto.from(settings);
  }
}
