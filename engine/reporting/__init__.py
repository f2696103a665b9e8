"""Figures and feedback: SLA figures and 好差评 with the 整改 case a 差评 opens. May import every other package."""
