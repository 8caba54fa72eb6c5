"""Voicemail: mailboxes, messages, greetings, message waiting, e-mail."""
