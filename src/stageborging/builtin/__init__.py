"""Built-in behaviour written as plugins, registered by every engine by default."""
