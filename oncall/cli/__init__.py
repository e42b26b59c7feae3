"""Thin Typer commands: parse options, call the pipeline, render with rich."""
