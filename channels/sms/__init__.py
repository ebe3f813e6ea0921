"""SMS over Twilio: encoding, phone numbers, sending, webhooks.

The plug-in is `channels.sms.plugin.plugin`; importing this package loads no twilio.
"""
