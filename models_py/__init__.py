"""models_py."""
