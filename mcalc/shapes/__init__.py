"""Kinds, symbolic dimensions and shape inference by unification.

- `kinds`: what a name is (scalar, vector, matrix), declarations, how shapes are written;
- `env`: the shape environment, union-find over dimensions, one shape rule per node type (powers with an
  expression exponent and sums over an index included);
- `infer`: inference over whole expressions (and sizes bound from values);
- `by_use`: undeclared lowercase names read as scalars from how the expression uses them.
"""

from mcalc.shapes.env import _SHAPE_RULES, ShapeEnv
from mcalc.shapes.infer import bind_sizes, fix_identities, infer_shapes, unbound_dims
from mcalc.shapes.kinds import (
    SCALAR_SHAPE,
    Declarations,
    Kind,
    Shape,
    default_kind,
    dim_text,
    parse_shape_spec,
    shape_text,
)

__all__ = [
    "SCALAR_SHAPE",
    "_SHAPE_RULES",
    "Declarations",
    "Kind",
    "Shape",
    "ShapeEnv",
    "bind_sizes",
    "default_kind",
    "dim_text",
    "fix_identities",
    "infer_shapes",
    "parse_shape_spec",
    "shape_text",
    "unbound_dims",
]
