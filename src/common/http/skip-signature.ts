import { SetMetadata } from '@nestjs/common';

export const SKIP_SIGNATURE = 'relay:skip-signature';

/**
 * The route stays open to unsigned clients even with SIGNATURE_REQUIRED (health, update checks,
 * pages a browser opens from a link).
 */
export const SkipSignature = (): MethodDecorator & ClassDecorator => SetMetadata(SKIP_SIGNATURE, true);
