"""The per-column layout of a packed model, for bench/onnx-layout.ts: the same graph behind
one [N, 1] input per feature column, concatenated into the packed tensors it expects (the
trainer's layout before it packed its inputs: 44 inputs for onnxruntime-node to convert).

    python bench/per_column_onnx.py PACKED_DIR OUT_DIR
"""
import json
import sys
from pathlib import Path

import onnx
from onnx import helper

source, out = Path(sys.argv[1]), Path(sys.argv[2])
model = onnx.load(source / "model.onnx")
metadata = json.loads((source / "metadata.json").read_text())
graph = model.graph
packed = {i.name: i.type.tensor_type.elem_type for i in graph.input}
inputs, concats, columns = [], [], []
for name, cols in zip(metadata["input_names"], metadata["input_columns"]):
    inputs += [helper.make_tensor_value_info(c, packed[name], [None, 1]) for c in cols]
    concats.append(helper.make_node("Concat", cols, [name], axis=1, name=f"pack_{name}"))
    columns += cols
nodes = concats + list(graph.node)
del graph.input[:]
graph.input.extend(inputs)
del graph.node[:]
graph.node.extend(nodes)
onnx.checker.check_model(model)
out.mkdir(parents=True, exist_ok=True)
onnx.save(model, out / "model.onnx")
del metadata["input_columns"]
metadata.pop("input_types", None)
metadata.update(input_names=columns, columns=columns)
(out / "metadata.json").write_text(json.dumps(metadata))
