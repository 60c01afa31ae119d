"""Use cases and the ports they need; imports only ``domain``."""
