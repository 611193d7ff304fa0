"""Dagster assets: thin wrappers over ingest/, dbt_project/ and models_py/."""
