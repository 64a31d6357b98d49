// The client example of chat-service-spec.md, runnable against `npm start`:
//
//   TOKEN=<jwt> RECEIVER=<userId> node examples/client.js [message]
//
// It connects, joins the conversation with RECEIVER, prints what arrives, and sends `message`
// when one is given. Ctrl-C to stop.
const { io } = require('socket.io-client');

const token = process.env.TOKEN;
const receiverId = process.env.RECEIVER;
const text = process.argv[2];
if (!token || !receiverId) {
  console.error('usage: TOKEN=<jwt> RECEIVER=<userId> node examples/client.js [message]');
  process.exit(2);
}

// Connect with JWT token
const socket = io(process.env.CHAT_URL || 'http://localhost:3006', { auth: { token } });

socket.on('connect_error', (error) => {
  console.error('Cannot connect:', error.message);
  process.exit(1);
});

// Listen for connection
socket.on('connected', (data) => {
  console.log('Connected:', data);
  const conversationId = [data.userId, receiverId].sort().join('_');

  // Join conversation
  socket.emit('join-conversation', conversationId);

  // Send a message. The acknowledgement says how it ended; a refusal also arrives as an
  // `error` event (printed below), so only the success is printed here.
  if (text) {
    socket.emit('send-message', { conversationId, receiverId, message: text }, (ack) => {
      if (ack.ok) console.log(`Stored as message ${ack.message.seq} of ${conversationId}`);
    });
  }
});

// Socket.IO reconnects by itself, except when the server closed the socket on purpose.
socket.on('disconnect', (reason) => {
  console.error('Disconnected:', reason);
  if (reason === 'io server disconnect') process.exit(1);
  console.error('Reconnecting…');
});

socket.on('message-sent', (message) => console.log('Message sent:', message));
socket.on('new-message', (message) => console.log('New message:', message));
socket.on('user-online', ({ userId }) => console.log(`${userId} is now online`));
socket.on('user-offline', ({ userId }) => console.log(`${userId} is now offline`));
socket.on('messages-read', (receipt) => console.log('Messages read:', receipt));
socket.on('conversation-closed', (event) => console.log('Conversation closed:', event));

// Listen for errors
socket.on('error', ({ message, code }) => console.error('Error:', code, message));
