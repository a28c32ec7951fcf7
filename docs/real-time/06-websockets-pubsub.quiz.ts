// Quiz for Session 6, "WebSockets and pub/sub" (rendered by <Quiz> on docs/real-time/06-websockets-pubsub.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully as the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question:
      'A page polls its server for new messages every 2 seconds, and messages arrive at random moments. About how long does a new message wait before the page shows it?',
    choices: [
      {
        text: 'About 1 second on average and up to 2 seconds, because it waits for the next poll, wherever it falls.',
        correct: true,
        explanation:
          'Right. A message produced at a random moment waits for the next poll: half an interval on average, nearly a whole one at worst. The demo showed it at 100 ms: p50 about 40 ms, p99 about 95 ms. To halve the delay you must double the requests.',
      },
      {
        text: 'About one network round trip, because the server answers each poll as soon as it arrives.',
        explanation:
          'The server does answer each poll at once, but a message that arrives just after a poll sits at the server until the next one. The round trip is added on top of that wait; on loopback it was a fraction of a millisecond against tens of milliseconds of waiting.',
      },
      {
        text: 'Exactly 2 seconds for every message, because the page only looks once per interval.',
        explanation:
          'Only a message produced just after a poll waits the whole interval. One produced just before the next poll waits almost nothing. Averaged over random moments, the wait is about half the interval.',
      },
      {
        text: 'No time at all once the page is loaded, because HTTP keep-alive pushes new data down the open connection.',
        explanation:
          'Keep-alive only lets the next request reuse the TCP connection, saving a handshake. HTTP still answers only when asked: nothing comes down the connection until the page sends its next poll.',
      },
    ],
  },
  {
    question:
      'In the demo, long polling delivered updates in under a millisecond at the median, yet it made 49 HTTP requests and sent the most bytes per update. Why?',
    choices: [
      {
        text: 'The server answers a held request with one empty reply per second to keep it alive, and those replies add up.',
        explanation:
          'A held request is answered empty only after a long timeout (25 s in the demo), and the run lasted one second: the table shows 0 empty answers. The requests all carried news.',
      },
      {
        text: 'Each answer ends its request, so nearly every update needs a new one, with full HTTP headers both ways.',
        correct: true,
        explanation:
          'Yes. The answer completes the HTTP exchange, and the browser must ask again for the next update. With updates 20 ms apart that is almost one request per update, and a few hundred bytes of headers each time dwarf the update itself.',
      },
      {
        text: 'Long polling opens a new TCP connection for every request, and the TCP handshakes are what the bytes column counts.',
        explanation:
          'The demo\'s client reuses one keep-alive connection, and TCP handshakes carry no payload bytes anyway: the column counts HTTP headers and bodies. The cost is the headers repeated on every request.',
      },
      {
        text: 'The server sends every update twice, once in the answer and once more in the next answer, in case the first was lost.',
        explanation:
          'Each request asks for updates after the last one the client has, so the server sends each update once; the demo counted no duplicates. The extra bytes are headers, not repeated updates.',
      },
    ],
  },
  {
    question: 'A server answers a WebSocket handshake with Sec-WebSocket-Accept, computed from the client\'s Sec-WebSocket-Key. What does that value achieve?',
    choices: [
      {
        text: 'It authenticates the client: only a browser that knows the server\'s secret can produce a key the server accepts.',
        explanation:
          'There is no secret. The key is random and the accept value is SHA-1 of the key and a fixed, published string; anyone can compute it. A server that needs to know who the client is must use cookies, tokens or similar, and check Origin.',
      },
      {
        text: 'It sets up encryption: the key and the accept value are the two halves of the session key used to encrypt the frames.',
        explanation:
          'WebSocket frames are not encrypted by the handshake; the values are sent in the clear. Privacy comes from TLS, by using wss:// instead of ws://.',
      },
      {
        text: 'It proves the answer comes from a server that understood a WebSocket request, not from a plain HTTP server or a cache.',
        correct: true,
        explanation:
          'Right. Only a server that read the key and applied the WebSocket rule (RFC 6455 §4) can send the matching value, so the browser knows it is not talking to something that merely echoed an HTTP answer.',
      },
      {
        text: 'It numbers the connection, so that a client that reconnects can present the same key and resume where it stopped.',
        explanation:
          'The key is new and random for every connection, and the server forgets it after the handshake. Resuming is the application\'s job: our chat client sends the last seq it showed when it joins again.',
      },
    ],
  },
  {
    question: 'RFC 6455 requires a browser to mask every frame it sends with a random 4-byte key. Why?',
    choices: [
      {
        text: 'To hide the content from eavesdroppers on the network, which is why ws:// is as private as wss://.',
        explanation:
          'The masking key travels in the frame itself, right before the payload, so anyone who sees the frame can unmask it. For privacy you need TLS: wss://.',
      },
      {
        text: 'To let the server detect frames corrupted on the way, since a wrong mask makes the payload fail to decode.',
        explanation:
          'TCP already checks for corruption, and a mask cannot be "wrong": the server XORs with whatever key the frame carries. Masking is there for proxies, not for checking.',
      },
      {
        text: 'To compress the payload: XORing with a repeated key makes repeated JSON field names shorter on the wire.',
        explanation:
          'XOR with a key never changes the length of the data: the masked payload is exactly as long as the original. Compression is a separate, optional extension (permessage-deflate).',
      },
      {
        text: 'So that a script in a page cannot choose the exact bytes on the wire and trick a badly written proxy into caching them.',
        correct: true,
        explanation:
          'Yes (RFC 6455 §10.3). A page\'s script picks the payload, but not the random mask, so it cannot craft bytes that a confused intermediary would read as an HTTP request or response and cache.',
      },
    ],
  },
  {
    question:
      'One member of a busy chat room is on a train and his socket takes frames far slower than the room talks. What does our chat server do?',
    choices: [
      {
        text: 'It waits before sending each new message to the room until his socket has taken the previous ones, so everyone stays in step.',
        explanation:
          'That is backpressure on the whole room: one bad phone line would freeze the conversation for everyone else. Our policy makes sure nobody ever waits for a slow client.',
      },
      {
        text: 'It keeps his frames in memory for as long as it takes, since ws.send never blocks and he will catch up when the train leaves the tunnel.',
        explanation:
          'An unbounded buffer is how one slow client, or a few thousand, eats a server\'s memory. The buffer per client is bounded (1,000 frames by default) exactly to prevent that.',
      },
      {
        text: 'When his bounded queue fills, it closes his connection with 4008; he reconnects and joins with his last seq, so he loses nothing.',
        correct: true,
        explanation:
          'Right. The queue stays bounded, the others never wait, and because history keeps every message with its seq, the reconnect brings him exactly what he missed, once.',
      },
      {
        text: 'When his queue fills, it quietly skips the messages he has no room for and sends him the newer ones, so he stays current.',
        explanation:
          'Skipping is fine for a stock price or a presence list, where the next value replaces the last, but a chat would silently lose lines. Our server closes him instead, and the resume fills the hole.',
      },
    ],
  },
  {
    question:
      'Redis pub/sub delivers a message to the subscribers connected at that moment and keeps nothing. A subscriber is disconnected for two seconds. What does it get, and what does that make the delivery?',
    choices: [
      {
        text: 'Nothing from those two seconds: the messages were gone once published, so delivery is at-most-once.',
        correct: true,
        explanation:
          'Yes. Nothing was stored, so nothing can be delivered later. Our chat uses such a push for speed and repairs it with sequence numbers and history: a client that missed seqs asks for them.',
      },
      {
        text: 'Everything from those two seconds, once it reconnects, because Redis queues messages for known subscribers; that is at-least-once.',
        explanation:
          'That describes a system that keeps messages so they can be read again, like a Redis stream or a Kafka log. Plain pub/sub forgets a message as soon as it has handed it to whoever was subscribed.',
      },
      {
        text: 'Everything exactly once, because TCP retransmits whatever was lost while the connection was down.',
        explanation:
          'TCP retransmits within one connection. Once it breaks, bytes not yet delivered are lost with it, and a new connection starts from nothing. Delivery guarantees across reconnects are the application\'s job.',
      },
      {
        text: 'The messages of those two seconds, but possibly twice each, because the publisher sends each one again until every subscriber has it.',
        explanation:
          'A pub/sub publisher does not know who is subscribed, let alone who has received what, so it cannot resend to anyone. Resending until acknowledged needs stored messages and acknowledgements: at-least-once.',
      },
    ],
  },
  {
    question:
      'Our chat server and client send pings every few seconds. Why, when TCP would surely tell them if the other side went away?',
    choices: [
      {
        text: 'Because a WebSocket closes itself after 10 seconds without frames, unless a ping keeps it open.',
        explanation:
          'The protocol has no idle timeout of its own. Pings matter because something else may cut an idle connection (NAT boxes, proxies) and because a vanished peer sends no news at all.',
      },
      {
        text: 'Because a peer that vanishes (lid closed, Wi-Fi gone) sends no packet: a dead connection looks like a quiet one.',
        correct: true,
        explanation:
          'Right. A peer that closes properly sends a close frame and a TCP FIN, but a vanished one sends nothing. Only silence where an answer was due reveals it, and even then only as a suspicion, as with Session 4\'s heartbeats.',
      },
      {
        text: 'Because pings measure the round-trip time, and the server uses it to decide which of its clients to drop when it is overloaded.',
        explanation:
          'Our server drops a client for being slow to take frames (4008) or silent for too long (4000), not for its round-trip time. The pings are there to detect connections that are gone.',
      },
      {
        text: 'Because the browser only reads from a WebSocket when it sends something, so the pings make it pick up waiting messages.',
        explanation:
          'A browser delivers each incoming message to the page as soon as it arrives, with no need to send anything. The pings are about noticing dead connections, not about fetching messages.',
      },
    ],
  },
];
