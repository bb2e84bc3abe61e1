"""The figures a Swift benchmark printed as JSON lines ({"op": ..., "ms": ...}), by op name;
other lines are skipped. Shared by the GPU benchmark scripts of tools/gpu/."""
import json


def read(path: str) -> dict:
    figures = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            record = json.loads(line)
            figures[record["op"]] = record["ms"]
    return figures
