/** The Knative Serving platform: invoke Services through the ingress by Host, deploy by manifests. */

export { type KnativeService, knativeService, serviceYaml } from './manifest.js';
export { KNATIVE_PLATFORM_DEFAULTS, type KnativePlatformOptions, resolveKnativeOptions } from './options.js';
export { KnativePlatform } from './platform.js';
