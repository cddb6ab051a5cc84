"""Engine and sessions, dialect-aware SQL helpers, and the read-ahead (`db.readahead`)
that lets a button press read its screen in the same statement as the user lookup."""
