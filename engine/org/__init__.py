"""The organisation: accounts and units, signing in and passwords, the security log, routing a lane to the unit
that works it, and every permission rule. May import core."""
