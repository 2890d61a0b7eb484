"""Survey and checklist definitions with immutable versions, XLSForm import, answer validation."""
