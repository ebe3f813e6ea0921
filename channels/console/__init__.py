"""The console channel: chat with the bot in a terminal, as a young person (development).

The worked example of a channel plug-in (docs/channels.md): `channel.py` sends by printing,
`commands.py` reads what you type, `plugin.py` ties them to the service.
"""
