"""The service-item catalogue (事项清单): reviewed lists, the TSV import and its store, queries over items, which items a unit offers and which flow runs an item. May import core and org."""
