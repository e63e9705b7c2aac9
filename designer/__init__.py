"""The designer: topologies with numbered versions, the catalog, validation, and their JSON API."""
