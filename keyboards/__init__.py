"""Pure keyboard builders: data in, markup out. Callback data classes live in callback_data."""
