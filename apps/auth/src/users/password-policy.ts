/**
 * Password strength rules, checked at registration (the contract schema only caps the length at 256):
 *  - `min_length`: at least 10 characters;
 *  - `contains_username`: not equal to, and not containing, the username (case-insensitive);
 *  - `character_classes`: at least 3 of the 4 classes lowercase letter, uppercase letter, digit, other
 *    (any other character: punctuation, space, symbols, letters without case).
 */
export const PASSWORD_MIN_LENGTH = 10;

export type PasswordRule = 'min_length' | 'contains_username' | 'character_classes';

export interface PasswordViolation {
  rule: PasswordRule;
  message: string;
}

const CLASSES: RegExp[] = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u];

/** The first rule the password breaks, or null when it is acceptable. */
export function checkPasswordStrength(password: string, username: string): PasswordViolation | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    return { rule: 'min_length', message: `must be at least ${PASSWORD_MIN_LENGTH} characters long` };
  }
  if (username && password.toLowerCase().includes(username.toLowerCase())) {
    return { rule: 'contains_username', message: 'must not contain the username' };
  }
  const classes = CLASSES.filter((re) => re.test(password)).length;
  if (classes < 3) {
    return {
      rule: 'character_classes',
      message: 'must mix at least 3 of: lowercase letters, uppercase letters, digits, other characters',
    };
  }
  return null;
}
