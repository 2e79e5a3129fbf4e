import type { FileObject, FilePurpose } from '@llmp/contracts';
import { unixSeconds, unixSecondsOrNull } from '../common/ids';
import type { FileEntity } from './file.entity';

export function fileView(f: FileEntity): FileObject {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: unixSeconds(f.createdAt),
    filename: f.filename,
    purpose: f.purpose as FilePurpose,
    status: 'processed',
    expires_at: unixSecondsOrNull(f.expiresAt),
    status_details: null,
  };
}
