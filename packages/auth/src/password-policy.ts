/**
 * What a chosen password must be (#20): at least MIN_PASSWORD_LENGTH characters and not one of the
 * passwords every guessing list tries first. The list is short on purpose (the most common ones,
 * from the public breach-corpus top lists, plus this product's own words); it is compared
 * case-insensitively and also with trailing digits and punctuation removed ("Password123!").
 * Generated passwords (generatePassword) always pass.
 */
export const MIN_PASSWORD_LENGTH = 8;

const COMMON = new Set(
  `password passw0rd p@ssw0rd p@ssword pass 123456 1234567 12345678 123456789 1234567890 0123456789 987654321
  qwerty qwertyuiop qwerty123 asdfghjkl asdf zxcvbnm 1q2w3e4r 1qaz2wsx qazwsx abc123 abcd1234 abcdefgh
  111111 11111111 000000 00000000 123123 123123123 112233 121212 654321 666666 696969 777777 888888 999999
  iloveyou princess sunshine monkey dragon letmein welcome login admin administrator root toor master
  football baseball superman batman trustno1 shadow michael jennifer hunter ranger buster soccer hockey
  whatever starwars freedom secret changeme default guest test tester testing temp temporary
  telemetry dashboard demo manager operator viewer sensor device esp32 mqtt ozone dispenser
  azerty motdepasse passwort hallo123 ciao1234 contraseña senha
  charlie donald thomas jordan harley ginger summer winter autumn spring computer internet
  qwe123 zaq12wsx aa123456 a123456 123qwe 123abc q1w2e3r4 1234qwer qwer1234 password1 welcome1`
    .split(/\s+/)
    .filter(Boolean),
);

/** Why `password` is refused, or undefined when it is acceptable. */
export function passwordWeakness(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `at least ${MIN_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  const stem = lower.replace(/[\d\W_]+$/u, '');
  if (COMMON.has(lower) || (stem.length > 0 && COMMON.has(stem)) || /^(.)\1+$/u.test(password)) {
    return 'this password is on the list of the most common ones: choose another';
  }
  if (/^\d+$/.test(password)) return 'not digits only';
  return undefined;
}
