"""The New Virtual Machine Wizard (guided, and an expert mode with every field at once)."""
