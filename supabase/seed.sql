-- Demo data for the local stand-in, the demo page and `supabase db reset`.
--
-- Every seeded user signs in with the password  wacrm-demo  (stored as a bcrypt hash).
--   Acme Support:  alice@acme.test (owner, "Alice Martin"), bob@acme.test (agent, "Bob Chen"),
--                  carol@acme.test (agent, "Carol Diaz")
--   Globex:        dave@globex.test (owner, "Dave Okafor")
-- Ids are fixed so tests and the demo can name them.

-- Users, shaped as GoTrue writes them so that real Supabase Auth accepts them too.
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
  confirmation_token, recovery_token, email_change_token_new, email_change
)
select
  '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
  extensions.crypt('wacrm-demo', extensions.gen_salt('bf', 10)), now(),
  '{"provider":"email","providers":["email"]}', jsonb_build_object('full_name', u.full_name),
  now() - interval '30 days', now() - interval '30 days',
  '', '', '', ''
from (values
  ('a11ce000-0000-4000-8000-000000000001'::uuid, 'alice@acme.test', 'Alice Martin'),
  ('b0b00000-0000-4000-8000-000000000002'::uuid, 'bob@acme.test', 'Bob Chen'),
  ('ca201000-0000-4000-8000-000000000003'::uuid, 'carol@acme.test', 'Carol Diaz'),
  ('da7e0000-0000-4000-8000-000000000004'::uuid, 'dave@globex.test', 'Dave Okafor')
) as u (id, email, full_name)
on conflict (id) do nothing;

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true),
  'email', now(), u.created_at, u.created_at
from auth.users u
where u.email in ('alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'dave@globex.test')
on conflict (provider_id, provider) do nothing;

insert into public.accounts (id, name, owner_user_id) values
  ('ac000000-0000-4000-8000-000000000001', 'Acme Support', 'a11ce000-0000-4000-8000-000000000001'),
  ('ac000000-0000-4000-8000-000000000002', 'Globex', 'da7e0000-0000-4000-8000-000000000004')
on conflict (id) do nothing;

insert into public.profiles (user_id, account_id, full_name, email, account_role) values
  ('a11ce000-0000-4000-8000-000000000001', 'ac000000-0000-4000-8000-000000000001', 'Alice Martin', 'alice@acme.test', 'owner'),
  ('b0b00000-0000-4000-8000-000000000002', 'ac000000-0000-4000-8000-000000000001', 'Bob Chen', 'bob@acme.test', 'agent'),
  ('ca201000-0000-4000-8000-000000000003', 'ac000000-0000-4000-8000-000000000001', 'Carol Diaz', 'carol@acme.test', 'agent'),
  ('da7e0000-0000-4000-8000-000000000004', 'ac000000-0000-4000-8000-000000000002', 'Dave Okafor', 'dave@globex.test', 'owner')
on conflict (user_id) do nothing;

-- Twelve Acme contacts (one with a blank name: notifications name its phone) and two at Globex.
insert into public.contacts (id, account_id, name, phone) values
  ('c0000000-0000-4000-8000-000000000001', 'ac000000-0000-4000-8000-000000000001', 'Maria Silva', '+55 11 91234-0001'),
  ('c0000000-0000-4000-8000-000000000002', 'ac000000-0000-4000-8000-000000000001', 'João Pereira', '+55 21 99876-0002'),
  ('c0000000-0000-4000-8000-000000000003', 'ac000000-0000-4000-8000-000000000001', 'Lucía Fernández', '+34 612 000 003'),
  ('c0000000-0000-4000-8000-000000000004', 'ac000000-0000-4000-8000-000000000001', 'Ahmed Hassan', '+20 100 000 0004'),
  ('c0000000-0000-4000-8000-000000000005', 'ac000000-0000-4000-8000-000000000001', 'Priya Nair', '+91 98000 00005'),
  ('c0000000-0000-4000-8000-000000000006', 'ac000000-0000-4000-8000-000000000001', 'Tom Becker', '+49 151 0000006'),
  ('c0000000-0000-4000-8000-000000000007', 'ac000000-0000-4000-8000-000000000001', 'Yuki Tanaka', '+81 90 0000 0007'),
  ('c0000000-0000-4000-8000-000000000008', 'ac000000-0000-4000-8000-000000000001', 'Grace O''Brien', '+353 85 000 0008'),
  ('c0000000-0000-4000-8000-000000000009', 'ac000000-0000-4000-8000-000000000001', 'Chen Wei', '+86 138 0000 0009'),
  ('c0000000-0000-4000-8000-000000000010', 'ac000000-0000-4000-8000-000000000001', 'Sofia Rossi', '+39 333 000 0010'),
  ('c0000000-0000-4000-8000-000000000011', 'ac000000-0000-4000-8000-000000000001', '  ', '+1 415 555 0111'),
  ('c0000000-0000-4000-8000-000000000012', 'ac000000-0000-4000-8000-000000000001', 'Kwame Mensah', '+233 24 000 0012'),
  ('c0000000-0000-4000-8000-000000000101', 'ac000000-0000-4000-8000-000000000002', 'Hank Scorpio', '+1 555 010 0101'),
  ('c0000000-0000-4000-8000-000000000102', 'ac000000-0000-4000-8000-000000000002', 'Lisa Simpson', '+1 555 010 0102')
on conflict (id) do nothing;

-- Conversations start unassigned; the assignments below go through the real trigger, acting as
-- the assigning agent (request.jwt.claims, as PostgREST sets it) or as an automation (no claims).
insert into public.conversations (id, account_id, contact_id, status, last_message_text, last_message_at) values
  ('c0de0000-0000-4000-8000-000000000001', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'open', 'Olá, meu pedido ainda não chegou', now() - interval '5 minutes'),
  ('c0de0000-0000-4000-8000-000000000002', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000002', 'open', 'Can I change my delivery address?', now() - interval '40 minutes'),
  ('c0de0000-0000-4000-8000-000000000003', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000003', 'pending', '¿Tienen envío a Canarias?', now() - interval '2 hours'),
  ('c0de0000-0000-4000-8000-000000000004', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000004', 'open', 'The invoice total looks wrong', now() - interval '3 hours'),
  ('c0de0000-0000-4000-8000-000000000005', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000005', 'closed', 'Thanks, all sorted!', now() - interval '1 day'),
  ('c0de0000-0000-4000-8000-000000000006', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000006', 'open', 'Is the blue one back in stock?', now() - interval '20 minutes'),
  ('c0de0000-0000-4000-8000-000000000007', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000007', 'pending', 'Waiting for the refund', now() - interval '6 hours'),
  ('c0de0000-0000-4000-8000-000000000008', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000008', 'open', 'Hello? Anyone there?', now() - interval '2 minutes'),
  ('c0de0000-0000-4000-8000-000000000009', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000009', 'closed', 'Order received', now() - interval '3 days'),
  ('c0de0000-0000-4000-8000-000000000010', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000010', 'open', 'Vorrei annullare l''ordine', now() - interval '15 minutes'),
  ('c0de0000-0000-4000-8000-000000000011', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000011', 'open', 'hi', now() - interval '1 hour'),
  ('c0de0000-0000-4000-8000-000000000012', 'ac000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000012', 'pending', 'Please call me back', now() - interval '4 hours'),
  ('c0de0000-0000-4000-8000-000000000101', 'ac000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000101', 'open', 'About the doomsday device', now() - interval '10 minutes'),
  ('c0de0000-0000-4000-8000-000000000102', 'ac000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000102', 'open', 'Homework help?', now() - interval '50 minutes')
on conflict (id) do nothing;

-- Assign, as (actor, conversation, assignee). A NULL actor is an automation ("Someone").
do $$
declare
  step record;
begin
  -- Only on a database without notifications yet, so that running the seed again adds nothing.
  if exists (select 1 from public.notifications) then
    return;
  end if;
  for step in
    select * from (values
      (1,  'a11ce000-0000-4000-8000-000000000001'::uuid, 'c0de0000-0000-4000-8000-000000000009'::uuid, 'b0b00000-0000-4000-8000-000000000002'::uuid),
      (2,  null,                                         'c0de0000-0000-4000-8000-000000000005', 'b0b00000-0000-4000-8000-000000000002'),
      (3,  'ca201000-0000-4000-8000-000000000003',       'c0de0000-0000-4000-8000-000000000007', 'b0b00000-0000-4000-8000-000000000002'),
      (4,  'a11ce000-0000-4000-8000-000000000001',       'c0de0000-0000-4000-8000-000000000004', 'b0b00000-0000-4000-8000-000000000002'),
      (5,  null,                                         'c0de0000-0000-4000-8000-000000000011', 'b0b00000-0000-4000-8000-000000000002'),
      (6,  'a11ce000-0000-4000-8000-000000000001',       'c0de0000-0000-4000-8000-000000000002', 'b0b00000-0000-4000-8000-000000000002'),
      (7,  'a11ce000-0000-4000-8000-000000000001',       'c0de0000-0000-4000-8000-000000000006', 'b0b00000-0000-4000-8000-000000000002'),
      (8,  'b0b00000-0000-4000-8000-000000000002',       'c0de0000-0000-4000-8000-000000000003', 'ca201000-0000-4000-8000-000000000003'),
      (9,  null,                                         'c0de0000-0000-4000-8000-000000000012', 'ca201000-0000-4000-8000-000000000003'),
      (10, 'b0b00000-0000-4000-8000-000000000002',       'c0de0000-0000-4000-8000-000000000010', 'ca201000-0000-4000-8000-000000000003'),
      (11, 'b0b00000-0000-4000-8000-000000000002',       'c0de0000-0000-4000-8000-000000000008', 'a11ce000-0000-4000-8000-000000000001'),
      (12, 'da7e0000-0000-4000-8000-000000000004',       'c0de0000-0000-4000-8000-000000000101', 'da7e0000-0000-4000-8000-000000000004')
    ) as s (position, actor_id, conversation_id, assignee_id)
    order by position
  loop
    perform set_config('request.jwt.claims',
      case when step.actor_id is null then ''
           else jsonb_build_object('sub', step.actor_id, 'role', 'authenticated')::text end,
      true);
    update public.conversations set assigned_agent_id = step.assignee_id where id = step.conversation_id;
  end loop;
  perform set_config('request.jwt.claims', '', true);

  -- Spread the notifications over the last days (oldest first) and leave the older half read.
  with aged as (
    select n.id,
           row_number() over (order by c.last_message_at desc) as age_rank
    from public.notifications n
    join public.conversations c on c.id = n.conversation_id
  )
  update public.notifications n
  set created_at = now() - (aged.age_rank * interval '47 minutes') - (aged.age_rank ^ 2 * interval '9 minutes')
  from aged
  where aged.id = n.id;

  update public.notifications
  set read_at = now()
  where created_at < now() - interval '5 hours';
end
$$;

-- A sales pipeline per account and deals (no assignee yet: the steps below assign them, so that
-- the deal trigger writes the notifications).
insert into public.pipelines (id, account_id, name) values
  ('a1be0000-0000-4000-8000-000000000001', 'ac000000-0000-4000-8000-000000000001', 'Sales'),
  ('a1be0000-0000-4000-8000-000000000002', 'ac000000-0000-4000-8000-000000000002', 'Sales')
on conflict (id) do nothing;

insert into public.pipeline_stages (id, pipeline_id, name, position) values
  ('57a9e000-0000-4000-8000-000000000001', 'a1be0000-0000-4000-8000-000000000001', 'Lead', 0),
  ('57a9e000-0000-4000-8000-000000000002', 'a1be0000-0000-4000-8000-000000000001', 'Qualified', 1),
  ('57a9e000-0000-4000-8000-000000000003', 'a1be0000-0000-4000-8000-000000000001', 'Proposal', 2),
  ('57a9e000-0000-4000-8000-000000000004', 'a1be0000-0000-4000-8000-000000000001', 'Negotiation', 3),
  ('57a9e000-0000-4000-8000-000000000101', 'a1be0000-0000-4000-8000-000000000002', 'Lead', 0),
  ('57a9e000-0000-4000-8000-000000000102', 'a1be0000-0000-4000-8000-000000000002', 'Won over', 1)
on conflict (id) do nothing;

insert into public.deals (id, account_id, pipeline_id, stage_id, contact_id, conversation_id, title, value, currency) values
  ('dea10000-0000-4000-8000-000000000001', 'ac000000-0000-4000-8000-000000000001', 'a1be0000-0000-4000-8000-000000000001',
   '57a9e000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000002', 'c0de0000-0000-4000-8000-000000000002', 'Annual plan for João', 4800, 'BRL'),
  ('dea10000-0000-4000-8000-000000000002', 'ac000000-0000-4000-8000-000000000001', 'a1be0000-0000-4000-8000-000000000001',
   '57a9e000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000004', 'c0de0000-0000-4000-8000-000000000004', 'Invoice correction', 350, 'USD'),
  ('dea10000-0000-4000-8000-000000000003', 'ac000000-0000-4000-8000-000000000001', 'a1be0000-0000-4000-8000-000000000001',
   '57a9e000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000006', 'c0de0000-0000-4000-8000-000000000006', 'Blue jackets, 40 units', 2400, 'EUR'),
  ('dea10000-0000-4000-8000-000000000004', 'ac000000-0000-4000-8000-000000000001', 'a1be0000-0000-4000-8000-000000000001',
   '57a9e000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000003', 'c0de0000-0000-4000-8000-000000000003', 'Canary Islands shipping', 900, 'EUR'),
  ('dea10000-0000-4000-8000-000000000101', 'ac000000-0000-4000-8000-000000000002', 'a1be0000-0000-4000-8000-000000000002',
   '57a9e000-0000-4000-8000-000000000101', 'c0000000-0000-4000-8000-000000000101', 'c0de0000-0000-4000-8000-000000000101', 'Doomsday device', 1000000, 'USD')
on conflict (id) do nothing;

-- Customers write (as the WhatsApp webhook does: service role, no claims) and deals move, through
-- the real triggers: message_received rows (one burst of three folded into one), deal_updated rows
-- (assigned, moved, won). Then some rows are seen and one is archived, so that the badge's unread
-- and unseen counts differ and the archive is not empty.
do $$
declare
  step record;
begin
  -- Only once, so that running the seed again adds nothing.
  if exists (select 1 from public.messages where id = 'e55a0000-0000-4000-8000-000000000001') then
    return;
  end if;

  perform set_config('request.jwt.claims', '', true);
  insert into public.messages (id, conversation_id, sender_type, content_type, content_text, created_at) values
    -- Bob's conversation with João: a burst of three, one row "3 new messages".
    ('e55a0000-0000-4000-8000-000000000001', 'c0de0000-0000-4000-8000-000000000002', 'customer', 'text', 'Hi, quick question about my order', now() - interval '3 minutes'),
    ('e55a0000-0000-4000-8000-000000000002', 'c0de0000-0000-4000-8000-000000000002', 'customer', 'text', 'I moved last week', now() - interval '3 minutes'),
    ('e55a0000-0000-4000-8000-000000000003', 'c0de0000-0000-4000-8000-000000000002', 'customer', 'text', 'Can I change my delivery address to Rua das Flores 42, apartamento 12, Rio de Janeiro? The courier said it has to be done before Friday or the parcel goes back to the warehouse.', now() - interval '2 minutes'),
    -- Bob's conversation with Tom: a photo, no caption.
    ('e55a0000-0000-4000-8000-000000000004', 'c0de0000-0000-4000-8000-000000000006', 'customer', 'image', null, now() - interval '9 minutes'),
    -- Bob's conversation with the contact who has no name (shown by phone).
    ('e55a0000-0000-4000-8000-000000000005', 'c0de0000-0000-4000-8000-000000000011', 'customer', 'audio', null, now() - interval '25 minutes'),
    -- Alice's conversation with Grace.
    ('e55a0000-0000-4000-8000-000000000006', 'c0de0000-0000-4000-8000-000000000008', 'customer', 'text', 'Hello? Anyone there?', now() - interval '4 minutes'),
    -- Carol's conversation with Sofia: a document.
    ('e55a0000-0000-4000-8000-000000000007', 'c0de0000-0000-4000-8000-000000000010', 'customer', 'document', null, now() - interval '14 minutes'),
    -- Maria's conversation is unassigned: nobody is told.
    ('e55a0000-0000-4000-8000-000000000008', 'c0de0000-0000-4000-8000-000000000001', 'customer', 'text', 'Olá, meu pedido ainda não chegou', now() - interval '5 minutes'),
    -- Dave answers his own customer: agents' messages notify nobody.
    ('e55a0000-0000-4000-8000-000000000009', 'c0de0000-0000-4000-8000-000000000101', 'agent', 'text', 'It is not a doomsday device.', now() - interval '8 minutes')
  on conflict (id) do nothing;

  -- Deal changes, as (actor, deal, what, value). A NULL actor is an automation ("Someone").
  for step in
    select * from (values
      (1, 'a11ce000-0000-4000-8000-000000000001'::uuid, 'dea10000-0000-4000-8000-000000000001'::uuid, 'assign', 'b0b00000-0000-4000-8000-000000000002'),
      (2, 'a11ce000-0000-4000-8000-000000000001',       'dea10000-0000-4000-8000-000000000002', 'assign', 'b0b00000-0000-4000-8000-000000000002'),
      (3, 'a11ce000-0000-4000-8000-000000000001',       'dea10000-0000-4000-8000-000000000001', 'stage',  '57a9e000-0000-4000-8000-000000000003'),
      (4, null,                                         'dea10000-0000-4000-8000-000000000002', 'status', 'won'),
      (5, 'b0b00000-0000-4000-8000-000000000002',       'dea10000-0000-4000-8000-000000000003', 'assign', 'ca201000-0000-4000-8000-000000000003'),
      (6, 'ca201000-0000-4000-8000-000000000003',       'dea10000-0000-4000-8000-000000000004', 'assign', 'ca201000-0000-4000-8000-000000000003'),
      (7, 'da7e0000-0000-4000-8000-000000000004',       'dea10000-0000-4000-8000-000000000101', 'assign', 'da7e0000-0000-4000-8000-000000000004')
    ) as s (position, actor_id, deal_id, what, value)
    order by position
  loop
    perform set_config('request.jwt.claims',
      case when step.actor_id is null then ''
           else jsonb_build_object('sub', step.actor_id, 'role', 'authenticated')::text end,
      true);
    if step.what = 'assign' then
      update public.deals set assigned_to = (select id from public.profiles where user_id = step.value::uuid)
      where id = step.deal_id;
    elsif step.what = 'stage' then
      update public.deals set stage_id = step.value::uuid where id = step.deal_id;
    else
      update public.deals set status = step.value where id = step.deal_id;
    end if;
  end loop;
  perform set_config('request.jwt.claims', '', true);

  -- When each happened: the folded burst at its last message, the others minutes to hours ago.
  update public.notifications n
  set created_at = t.at
  from (values
    ('message_received', 'c0de0000-0000-4000-8000-000000000002'::uuid, null::uuid, now() - interval '2 minutes'),
    ('message_received', 'c0de0000-0000-4000-8000-000000000006', null, now() - interval '9 minutes'),
    ('message_received', 'c0de0000-0000-4000-8000-000000000011', null, now() - interval '25 minutes'),
    ('message_received', 'c0de0000-0000-4000-8000-000000000008', null, now() - interval '4 minutes'),
    ('message_received', 'c0de0000-0000-4000-8000-000000000010', null, now() - interval '14 minutes'),
    ('deal_updated', null, 'dea10000-0000-4000-8000-000000000001'::uuid, now() - interval '3 hours'),
    ('deal_updated', null, 'dea10000-0000-4000-8000-000000000002', now() - interval '2 hours'),
    ('deal_updated', null, 'dea10000-0000-4000-8000-000000000003', now() - interval '35 minutes')
  ) as t (type, conversation_id, deal_id, at)
  where n.type = t.type
    and (t.conversation_id is null or n.conversation_id = t.conversation_id)
    and (t.deal_id is null or n.data ->> 'deal_id' = t.deal_id::text)
    and (t.type <> 'deal_updated' or n.data ->> 'change' = 'assigned');
  -- The deal's later changes: moved to Proposal 40 minutes ago, won 30 minutes ago.
  update public.notifications set created_at = now() - interval '40 minutes'
  where type = 'deal_updated' and data ->> 'change' = 'stage';
  update public.notifications set created_at = now() - interval '30 minutes'
  where type = 'deal_updated' and data ->> 'change' = 'status';

  -- The older deal notifications were read; everything older than 20 minutes was seen; one old
  -- read assignment (a closed conversation) is in the archive.
  update public.notifications set read_at = now()
  where type = 'deal_updated' and created_at < now() - interval '1 hour';
  update public.notifications set seen_at = now()
  where created_at < now() - interval '20 minutes';
  update public.notifications set archived_at = now()
  where type = 'conversation_assigned' and conversation_id = 'c0de0000-0000-4000-8000-000000000009';
end
$$;
