/** The generic HTTP platform: each invocation is one request to a URL template, over undici. */

export { HTTP_PLATFORM_DEFAULTS, type HttpPlatformOptions, resolveHttpOptions } from './options.js';
export { HttpPlatform } from './platform.js';
export { DEFAULT_BODY, PLACEHOLDERS, type Placeholder } from './template.js';
