"""Cases (办件): the lifecycle, acceptance, writing a step, history, 移交/归档, notices, administrators' actions, listings and deadline rules. May import every package but reporting."""
