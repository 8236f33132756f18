"""The training side of the console: the lesson player dock, the windows lessons and demos
open on labs of their own, presenter mode and the in-app help (docs/lessons.md)."""
