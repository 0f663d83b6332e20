export { installOutboundHttp } from './install.js';
