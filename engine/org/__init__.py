"""The organisation: accounts and units, routing a lane to the unit that works it, and every permission rule. May import core."""
