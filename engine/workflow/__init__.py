"""Everything that touches SpiffWorkflow internals: new workflows, the stored state, the timer clock binding. May import core and sandbox."""
