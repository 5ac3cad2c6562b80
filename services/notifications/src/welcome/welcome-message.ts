// What a new user's welcome message says. A pure function of the
// registration, so the same event always makes the same message.

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
