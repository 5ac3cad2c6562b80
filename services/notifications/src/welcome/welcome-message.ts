// What a new user's welcome message says, and the warning an account's owner
// gets when someone signs up with their email. Pure functions of the event,
// so the same event always makes the same message.

export interface WelcomeMessage {
  title: string;
  body: string;
}

export function welcomeMessage(user: { name: string | null; email: string }): WelcomeMessage {
  const name = user.name?.trim();
  return {
    title: name ? `Welcome to souk, ${name}!` : 'Welcome to souk!',
    body:
      `Your account ${user.email} is ready. Browse the catalogue, fill your cart and check out whenever you like; ` +
      'order confirmations and updates will appear here.',
  };
}

export function signUpAttemptMessage(attempt: { email: string; attemptedAt: string }): WelcomeMessage {
  return {
    title: 'Someone tried to sign up with your email',
    body:
      `At ${attempt.attemptedAt} someone tried to create a new account for ${attempt.email}, which is already yours. ` +
      'Nothing was changed: your password and orders are as they were. If it was you, sign in instead; ' +
      'if you forgot your password, choose a new one.',
  };
}
