/** Docker runtime for the embedded platform's instances: engine detection, runtime image, container instances. */

export {
  connectDocker,
  detectEngine,
  dockerAvailable,
  ENGINE_PING_TIMEOUT_MS,
  type EngineInfo,
  listInstances,
  type RemoveInstancesOptions,
  removeInstances,
} from './engine.js';
export {
  buildRuntimeImage,
  ensureRuntimeImage,
  IMAGE_APP_DIR,
  IMAGE_NODE_PATH,
  linkedLibraries,
  RUNTIME_IMAGE_REPO,
  type RuntimeImage,
  type RuntimeImageOptions,
  removeRuntimeImages,
  runtimeTarballBytes,
  sharedHostFiles,
} from './image.js';
export {
  type DockerExitInfo,
  DockerInstance,
  type DockerInstanceOptions,
  type DockerInstanceTimings,
  describeDockerExit,
} from './instance.js';
export * from './labels.js';
