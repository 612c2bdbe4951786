/** One mapping of file read errors, shared by the line scanner and the CSV reader. */
import { FaasloadError } from '../errors.js';
import { errnoCodeOf } from '../util/message.js';

/** Maps a read error to a FaasloadError naming the file; FaasloadErrors and others pass through. */
export function ioError(file: string, err: unknown): unknown {
  if (err instanceof FaasloadError) return err;
  const code = errnoCodeOf(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new FaasloadError('E_TRACE_NOT_FOUND', `${file}: no such file`, { cause: err });
  }
  if (code === 'EISDIR') {
    return new FaasloadError('E_TRACE_FORMAT', `${file}: is a directory, expected a CSV file`, {
      cause: err,
    });
  }
  if (typeof code === 'string') {
    return new FaasloadError('E_TRACE_FORMAT', `${file}: cannot read (${code})`, { cause: err });
  }
  return err;
}
