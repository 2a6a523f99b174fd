"""Compatibility APIs: other products' wire formats over Pulsar's engine."""
