"""Pure business model of Lore: no I/O, no frameworks."""
