/**
 * AWS credentials and region from the standard chain, the part of it that needs no network:
 * 1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 * 2. the shared files (~/.aws/credentials, ~/.aws/config; AWS_SHARED_CREDENTIALS_FILE and
 *    AWS_CONFIG_FILE move them), profile = the option, else AWS_PROFILE, else 'default'; keys
 *    aws_access_key_id, aws_secret_access_key, aws_session_token. Files are read with
 *    @smithy/shared-ini-file-loader, the AWS SDK's own reader.
 * Not followed: SSO, assume-role (role_arn / source_profile), credential_process, web identity,
 * container and instance metadata: a profile that only has those is an E_USAGE error saying so.
 * Region: the option, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region.
 * The secret key never appears in an error.
 */
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { FaasloadError } from '../../errors.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsIdentity {
  credentials: AwsCredentials;
  region: string | undefined;
  /** Where the credentials came from, for messages: 'environment' or 'profile NAME'. */
  source: string;
}

export async function resolveAwsIdentity(
  options: { profile?: string; region?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<AwsIdentity> {
  const profileName = options.profile ?? env.AWS_PROFILE ?? 'default';
  let files: Awaited<ReturnType<typeof loadSharedConfigFiles>> = { configFile: {}, credentialsFile: {} };
  try {
    files = await loadSharedConfigFiles({
      ...(env.AWS_SHARED_CREDENTIALS_FILE ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE } : {}),
      ...(env.AWS_CONFIG_FILE ? { configFilepath: env.AWS_CONFIG_FILE } : {}),
    });
  } catch {
    // Missing or unreadable files are no files, as the SDK treats them.
  }
  const profile = { ...files.configFile[profileName], ...files.credentialsFile[profileName] };
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? profile.region;
  if (options.profile === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      },
      region,
      source: 'environment',
    };
  }
  const id = profile.aws_access_key_id;
  const secret = profile.aws_secret_access_key;
  if (id && secret) {
    return {
      credentials: {
        accessKeyId: id,
        secretAccessKey: secret,
        ...(profile.aws_session_token ? { sessionToken: profile.aws_session_token } : {}),
      },
      region,
      source: `profile ${profileName}`,
    };
  }
  const other = [
    'role_arn',
    'sso_session',
    'sso_start_url',
    'credential_process',
    'web_identity_token_file',
  ].find((k) => profile[k] !== undefined);
  throw new FaasloadError(
    'E_USAGE',
    other
      ? `AWS profile '${profileName}' uses ${other}, which faasload does not follow: export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (e.g. from 'aws configure export-credentials')`
      : `no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or aws_access_key_id / aws_secret_access_key in profile '${profileName}' of ~/.aws/credentials`,
  );
}
