import { checkPasswordStrength } from './password-policy';

describe('checkPasswordStrength', () => {
  it('accepts a long password mixing three character classes', () => {
    expect(checkPasswordStrength('correct-horse-7', 'alice')).toBeNull();
    expect(checkPasswordStrength('Tr0ub4dourXY', 'alice')).toBeNull();
  });

  it('names min_length for fewer than 10 characters', () => {
    expect(checkPasswordStrength('Ab1!Ab1!a', 'alice')?.rule).toBe('min_length');
    expect(checkPasswordStrength('Ab1!Ab1!ab', 'alice')).toBeNull();
  });

  it('counts characters, not UTF-16 units', () => {
    expect(checkPasswordStrength('Ab1😀😀😀😀😀', 'alice')?.rule).toBe('min_length');
  });

  it('names contains_username when the password equals or contains the username, ignoring case', () => {
    expect(checkPasswordStrength('Alice.Smith-2024', 'alice.smith')?.rule).toBe('contains_username');
    expect(checkPasswordStrength('xx-ALICE-99-yy', 'alice')?.rule).toBe('contains_username');
    expect(checkPasswordStrength('Alice12345!', 'Alice12345!')?.rule).toBe('contains_username');
  });

  it('names character_classes when fewer than 3 classes are used', () => {
    expect(checkPasswordStrength('abcdefghijkl', 'bob')?.rule).toBe('character_classes');
    expect(checkPasswordStrength('abcdefgh1234', 'bob')?.rule).toBe('character_classes');
    expect(checkPasswordStrength('abcdefgh123!', 'bob')).toBeNull();
    expect(checkPasswordStrength('ABCDEFGH12 ', 'bob')).toBeNull();
  });
});
