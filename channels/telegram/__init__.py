"""Telegram: aiogram's Bot for sending, aiogram's types for parsing, a secret-checked webhook.

The plug-in is `channels.telegram.plugin.plugin`; importing this package loads no aiogram.
"""
