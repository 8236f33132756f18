"""The VM Settings dialog (Hyper-V's page tree over an editing model) and the Rename and
Delete dialogs."""
