// A short list of passwords that attackers try first. Only entries of 10+
// characters matter, since shorter ones already fail the length rule.

export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '1234567890', '12345678910', '123456789012', '0987654321', '1111111111', '0000000000',
  '1q2w3e4r5t', '1q2w3e4r5t6y', 'q1w2e3r4t5', 'qwertyuiop', 'qwertyuiop1', 'qwerty1234',
  'qwerty12345', 'qwerty123456', 'asdfghjkl1', 'asdfghjkl;', 'zxcvbnm123', 'abcdefghij',
  'abcd123456', 'abc1234567', 'a1b2c3d4e5', 'password10', 'password11', 'password12',
  'password123', 'password1234', 'password12345', 'password!1', 'password123!', 'p@ssw0rd123',
  'p@ssword123', 'passw0rd123', 'iloveyou123', 'iloveyou12', 'letmein123', 'welcome123',
  'welcome1234', 'welcome2024', 'welcome2025', 'changeme123', 'administrator', 'admin12345',
  'admin123456', 'football123', 'baseball123', 'sunshine123', 'princess123', 'dragon1234',
  'monkey12345', 'trustno1234', 'superman123', 'starwars123', 'whatever123', 'computer123',
  'internet123', 'summer2024', 'summer2025', 'winter2024', 'winter2025', 'spring2025',
  'autumn2025', 'football1', 'michael123', 'jennifer123', 'charlie123', 'shadow1234',
  'master12345', 'hello12345', 'hello123456', 'secret1234', 'secret12345', 'mypassword',
  'mypassword1', 'mypassword123', 'thisismypassword', 'correcthorsebatterystaple',
]);

/** Whether the password is on the list (case-insensitive: capitalising a common word does not help). */
export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}
