"""Tables of this app; it fills up as its capability is built."""
