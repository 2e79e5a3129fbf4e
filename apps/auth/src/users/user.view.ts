import type { UserView } from '@llmp/contracts';
import { unixSeconds } from '../common/ids';
import { budgetOf } from './principal';
import type { UserEntity } from './user.entity';

export function toUserView(user: UserEntity): UserView {
  return {
    id: user.id,
    object: 'user',
    username: user.username,
    email: user.email,
    role: user.role,
    disabled: user.disabledAt !== null,
    rpm_limit: user.rpmLimit,
    tpm_limit: user.tpmLimit,
    monthly_budget: budgetOf(user),
    created_at: unixSeconds(user.createdAt),
  };
}
