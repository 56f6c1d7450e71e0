import { Param, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AppError } from '../errors/app-error.js';

class UuidPipe implements PipeTransform<string, string> {
  constructor(private readonly name: string) {}

  transform(value: string): string {
    if (!isUUID(value)) {
      throw AppError.validation(`${this.name} must be a UUID`, {
        fields: [{ field: this.name, problems: ['must be a UUID'] }],
      });
    }
    return value.toLowerCase();
  }
}

/** A route parameter that must be a UUID (400 VALIDATION_FAILED otherwise). */
export const UuidParam = (name: string): ParameterDecorator => Param(name, new UuidPipe(name));
