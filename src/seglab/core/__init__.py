"""Core of seglab: result type, errors, validation, parameter schemas and the registry."""
