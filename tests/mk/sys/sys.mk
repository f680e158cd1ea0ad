# Empty system rules: the ports framework stand-in needs none.
