"""Data rights for young people: access, export, retention and erasure."""
