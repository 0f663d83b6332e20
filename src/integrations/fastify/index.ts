export {
  type FastifyInstanceLike,
  type FastifyPluginOptions,
  type FastifyReplyLike,
  type FastifyRequestLike,
  type SightlineFastifyPlugin,
  sightlineFastify,
} from './plugin.js';
export type { IgnoreMatcher } from '../shared/options.js';
