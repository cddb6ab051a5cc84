"""Pure rendering: data and a locale in, a `Screen` (text, keyboard, photo) out; and
`show()`, which puts a screen in the chat (edit or send)."""
