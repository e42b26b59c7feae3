"""Reading the evaluation's own files (expected.yaml, policy.yaml, thresholds.yaml).

Ground truth and thresholds are small hand-written files, read with the same guards as
every other hand-written YAML (`oncall.sources.yamlfile`).
"""

from __future__ import annotations

from oncall.sources.yamlfile import MAX_BYTES, load_yaml_file, read_text_file

load_yaml = load_yaml_file
read_text = read_text_file

__all__ = ["MAX_BYTES", "load_yaml", "read_text"]
