// GET /auth/v1/settings and /auth/v1/health: what the stand-in's Auth offers, in GoTrue's shape.

/** Every external provider GoTrue lists; only email sign-in exists here. */
const PROVIDERS = [
  'anonymous_users', 'apple', 'azure', 'bitbucket', 'discord', 'facebook', 'figma', 'fly', 'github', 'gitlab',
  'google', 'keycloak', 'kakao', 'linkedin', 'linkedin_oidc', 'notion', 'spotify', 'slack', 'slack_oidc',
  'workos', 'twitch', 'twitter', 'zoom', 'phone',
] as const;

export function settings(): Record<string, unknown> {
  return {
    external: { ...Object.fromEntries(PROVIDERS.map((provider) => [provider, false])), email: true },
    // Users come from the seed, fixtures or the admin API: there is no /signup here.
    disable_signup: true,
    mailer_autoconfirm: false,
    phone_autoconfirm: false,
    sms_provider: '',
    saml_enabled: false,
  };
}

export function health(): Record<string, unknown> {
  return {
    version: 'wacrm-local',
    name: 'GoTrue',
    description: 'GoTrue is a user registration and authentication API (local Supabase stand-in)',
  };
}
