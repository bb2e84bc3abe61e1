// Graph model: YAML parsing, graph values, presets, validation, planning.
