"""Real adapters for the ports: storage, channels, payment links, agencies, documents, clock.

Each adapter imports its heavy dependency only when it is used; a missing optional dependency
raises :class:`~creditflow.errors.MissingExtraError` naming the extra to install.
"""
