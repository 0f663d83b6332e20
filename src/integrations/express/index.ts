export {
  type ExpressErrorMiddleware,
  type ExpressMiddleware,
  type ExpressMiddlewareOptions,
  type ExpressNext,
  type ExpressRequestLike,
  expressErrorHandler,
  expressMiddleware,
} from './middleware.js';
export type { IgnoreMatcher } from '../shared/options.js';
