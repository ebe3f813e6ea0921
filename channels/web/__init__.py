"""The web chat simulator: a browser stands in for Telegram or SMS (development only).

The plug-in is `channels.web.plugin.plugin`.
"""
