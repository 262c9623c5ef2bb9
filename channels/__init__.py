"""Channel adapters: each turns its platform's payloads into `core.messages.Inbound` and
renders `core.messages.Rendered` answers for its platform. No adapter imports another edge."""
