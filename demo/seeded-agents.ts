// The people of supabase/seed.sql, offered as one-click sign-ins on the local stand-in.
export const DEMO_PASSWORD = 'wacrm-demo';

export const seededAgents = [
  { email: 'alice@acme.test', label: 'Alice Martin · Acme (owner)' },
  { email: 'bob@acme.test', label: 'Bob Chen · Acme' },
  { email: 'carol@acme.test', label: 'Carol Diaz · Acme' },
  { email: 'dave@globex.test', label: 'Dave Okafor · Globex (another account)' },
] as const;
