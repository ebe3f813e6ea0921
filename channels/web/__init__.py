"""The web chat simulator: a browser stands in for Telegram or SMS."""
