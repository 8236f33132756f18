"""What a server and its clients use unless told otherwise; imports nothing, so that
``hvctl`` can build its command line without loading the client or the server."""

#: The TCP port a server listens on and a client connects to unless told otherwise.
DEFAULT_PORT = 8765
