"""Folding the recogniser's graph (extractor/ocr/fold.py): small graphs built here run in ONNX
Runtime before and after, so each fold is checked against the arithmetic it replaces; chains a
fold must not touch stay as they are; the bundled PP-OCRv4 recogniser (marked `ocr`) folds and
reads real crops as the unfolded one does."""
from __future__ import annotations

from typing import Optional

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from extractor.ocr.fold import fold, folded_model

RNG = np.random.default_rng(7)
SHAPE = [1, 4, 6, 10]


def _const(name: str, value: np.ndarray) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value, np.float32), name))


def _scalar(name: str, v: float) -> onnx.NodeProto:
    return _const(name, np.array([v], np.float32))


def _conv(name: str, x: str, out: str, kernel: int = 1, pads: int = 0, group: int = 1,
          channels: int = 4) -> list[onnx.NodeProto]:
    w = RNG.normal(size=(channels, channels // group, kernel, kernel)).astype(np.float32)
    b = RNG.normal(size=(channels,)).astype(np.float32)
    return [_const(f"{name}.w", w), _const(f"{name}.b", b),
            helper.make_node("Conv", [x, f"{name}.w", f"{name}.b"], [out], name=name,
                             kernel_shape=[kernel, kernel], pads=[pads] * 4, group=group)]


def _affine(name: str, x: str, out: str, scale: float, bias: float) -> list[onnx.NodeProto]:
    return [_scalar(f"{name}.s", scale), _scalar(f"{name}.b", bias),
            helper.make_node("Mul", [f"{name}.s", x], [f"{name}.m"], name=f"{name}.mul"),
            helper.make_node("Add", [f"{name}.m", f"{name}.b"], [out], name=f"{name}.add")]


def _hard_swish(name: str, x: str, out: str) -> list[onnx.NodeProto]:
    return [_scalar(f"{name}.3", 3.0), _const(f"{name}.0", np.float32(0.0)), _const(f"{name}.6", np.float32(6.0)),
            _scalar(f"{name}.d", 6.0),
            helper.make_node("Add", [x, f"{name}.3"], [f"{name}.a"]),
            helper.make_node("Clip", [f"{name}.a", f"{name}.0", f"{name}.6"], [f"{name}.c"]),
            helper.make_node("Mul", [x, f"{name}.c"], [f"{name}.m"]),
            helper.make_node("Div", [f"{name}.m", f"{name}.d"], [out])]


def _model(nodes: list[onnx.NodeProto], outputs: tuple[str, ...] = ("y",)) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, ["n", "c", "h", "w"]) for o in outputs])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])


def _run(model: onnx.ModelProto, x: np.ndarray) -> list[np.ndarray]:
    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})


def _ops(model: onnx.ModelProto) -> list[str]:
    return [n.op_type for n in model.graph.node if n.op_type != "Constant"]


def _folded(model: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, int], list[np.ndarray], list[np.ndarray]]:
    x = RNG.normal(scale=3.0, size=SHAPE).astype(np.float32)
    before = _run(model, x)
    after = onnx.ModelProto()
    after.CopyFrom(model)
    counts = fold(after)
    onnx.checker.check_model(after)
    return after, counts, before, _run(after, x)


def _block(tail: Optional[list[onnx.NodeProto]] = None, **pointwise: int) -> list[onnx.NodeProto]:
    """One PPLCNetV3 block as Paddle2ONNX exports it: conv, affine, hard-swish, affine, next conv."""
    return (_conv("c1", "x", "c1.y", kernel=3, pads=1) + _affine("lab1", "c1.y", "h", 1.7, -0.4)
            + _hard_swish("hs", "h", "a") + _affine("lab2", "a", "p", 0.06, 0.02)
            + (tail if tail is not None else _conv("c2", "p", "y", **pointwise)))


def test_a_block_folds_into_conv_hard_sigmoid_mul_conv_and_computes_the_same():
    after, counts, before, got = _folded(_model(_block()))
    assert counts == {"conv_affine": 1, "hard_swish": 1, "affine_pointwise": 1}
    assert _ops(after) == ["Conv", "HardSigmoid", "Mul", "Conv"]
    np.testing.assert_allclose(got[0], before[0], rtol=1e-5, atol=1e-5)


def test_an_affine_before_a_padded_or_grouped_conv_stays():
    # the padded conv would see the affine's bias in its zero border; a grouped conv sums fewer inputs
    for pointwise in ({"kernel": 3, "pads": 1}, {"pads": 1}, {"group": 2}):
        after, counts, before, got = _folded(_model(_block(**pointwise)))
        assert counts["affine_pointwise"] == 0 and counts["conv_affine"] == 1
        assert _ops(after) == ["Conv", "HardSigmoid", "Mul", "Mul", "Add", "Conv"]
        np.testing.assert_allclose(got[0], before[0], rtol=1e-5, atol=1e-5)


def test_a_result_read_twice_is_not_folded_away():
    # the conv's output is also a graph output: folding the affine into it would change that output
    model = _model(_conv("c1", "x", "c1.y") + _affine("lab1", "c1.y", "y", 1.7, -0.4), outputs=("y", "c1.y"))
    after, counts, before, got = _folded(model)
    assert counts == {"conv_affine": 0, "hard_swish": 0, "affine_pointwise": 0}
    assert after.graph.node == model.graph.node
    for a, b in zip(got, before):
        np.testing.assert_array_equal(a, b)


def test_weights_shared_by_two_convs_are_left_alone():
    nodes = _conv("c1", "x", "c1.y") + _affine("lab1", "c1.y", "z", 2.0, 1.0)
    nodes.append(helper.make_node("Conv", ["x", "c1.w", "c1.b"], ["c2.y"], kernel_shape=[1, 1]))
    nodes.append(helper.make_node("Add", ["z", "c2.y"], ["y"]))
    after, counts, before, got = _folded(_model(nodes))
    assert counts["conv_affine"] == 0
    np.testing.assert_array_equal(got[0], before[0])


def test_a_clip_other_than_hard_swish_is_not_rewritten():
    nodes = _hard_swish("hs", "x", "y")
    nodes[2] = _const("hs.6", np.float32(5.0))  # clip(x + 3, 0, 5): not hard-swish
    after, counts, before, got = _folded(_model(nodes))
    assert counts["hard_swish"] == 0 and "HardSigmoid" not in _ops(after)
    np.testing.assert_array_equal(got[0], before[0])


@pytest.mark.ocr
def test_the_bundled_recogniser_folds_and_reads_as_before():
    from extractor.ocr.rapid import REC_HEIGHT, REC_MIN_WIDTH, _input, _rec_model_path
    from tests.ocr_pages import cell_crops

    path = _rec_model_path()
    model = onnx.load(path)
    counts = fold(model)
    assert counts == {"conv_affine": 28, "hard_swish": 28, "affine_pointwise": 12}
    onnx.checker.check_model(model)
    assert model.SerializeToString() == folded_model(path)

    crops = cell_crops(2)
    assert len(crops) > 60
    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    plain = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    folded = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    name = plain.get_inputs()[0].name
    for crop in crops:
        x = _input(crop, REC_HEIGHT, REC_MIN_WIDTH)
        want, got = plain.run(None, {name: x})[0], folded.run(None, {name: x})[0]
        assert (got.argmax(-1) == want.argmax(-1)).all()
        np.testing.assert_allclose(got, want, atol=2e-3)
