import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = Symbol('public-route');

/** Marks a /v1 route that needs no credential; such routes are limited per client IP instead. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
