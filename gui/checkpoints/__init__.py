"""The Checkpoints pane of the main window: the tree with its "Now" marker, and the actions on
a checkpoint."""
