"""The shared ground of the engine: the one clock, domain errors, the tables, reference data (roles, kinds of unit), database settings and the unit of work. Imports nothing else of the engine."""
