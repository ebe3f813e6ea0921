"""Channels: translate between a provider's wire format and Indgang's Inbound/Outbound."""
