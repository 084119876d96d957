// What Wacrm's WhatsApp webhook does when a customer writes, as one statement for the demo API's
// "Customer writes" endpoint: insert the message with the service role's rights (no
// request.jwt.claims, so the trigger sees no actor), and bring the conversation's last message and
// unread count up to date. No imports: the browser test of the page runs the same statement.

/**
 * Parameters: $1 the caller's user id, $2 the conversation, $3 the text. Writes nothing, and returns
 * no row, unless the conversation belongs to the caller's account: the endpoint has owner rights
 * and must not become a way around RLS.
 */
export const CUSTOMER_MESSAGE_SQL = `
  with conversation as (
    select c.id
      from public.conversations c
     where c.id = $2
       and exists (select 1 from public.profiles p where p.user_id = $1 and p.account_id = c.account_id)
  ),
  message as (
    insert into public.messages (conversation_id, sender_type, content_type, content_text)
    select conversation.id, 'customer', 'text', $3 from conversation
    returning id, conversation_id, created_at
  )
  update public.conversations c
     set last_message_text = $3,
         last_message_at = message.created_at,
         unread_count = coalesce(c.unread_count, 0) + 1
    from message
   where c.id = message.conversation_id
  returning message.id as "messageId"`;

/** What the demo's customers say when the caller sends no text of their own. */
export const customerTexts = [
  'Hi! Is anyone there?',
  'Can you check where my order is?',
  'Olá, ainda estou esperando uma resposta',
  '¿Me pueden ayudar con la factura?',
  'The parcel arrived damaged, what now?',
  'Could you call me back this afternoon?',
] as const;

export const CUSTOMER_TEXT_MAX_LENGTH = 1000;
