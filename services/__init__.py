"""Business rules over an AsyncSession. No aiogram here; `flush()`, never `commit()`."""
