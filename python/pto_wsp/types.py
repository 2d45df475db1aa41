"""Element types and kernel parameter annotations: In[Tile[h, w, dtype]], Scalar[dtype]."""


class DType:
    """Element types; the values are the .wsp spellings."""
    F16 = "f16"
    BF16 = "bf16"
    F32 = "f32"
    F64 = "f64"
    I8 = "i8"
    I16 = "i16"
    I32 = "i32"
    I64 = "i64"
    U8 = "u8"
    U16 = "u16"
    U32 = "u32"
    U64 = "u64"
    BOOL = "bool"


_ALL = {v for k, v in vars(DType).items() if k.isupper()}


def dtype_name(d):
    s = getattr(d, "value", d)
    if s not in _ALL:
        raise TypeError(f"unknown dtype {d!r} (expected one of DType.F16, DType.F32, ...)")
    return s


class TileType:
    def __init__(self, rows, cols, dtype):
        self.rows, self.cols, self.dtype = int(rows), int(cols), dtype_name(dtype)

    def __repr__(self):
        return f"Tile[{self.rows}, {self.cols}, {self.dtype}]"


class _TileFactory:
    def __getitem__(self, key):
        if not isinstance(key, tuple) or len(key) != 3:
            raise TypeError("Tile[...] takes rows, cols, dtype: Tile[16, 128, DType.F16]")
        return TileType(*key)


Tile = _TileFactory()


class ParamSpec:
    def __init__(self, direction, tile):
        if not isinstance(tile, TileType):
            raise TypeError(f"{direction}[...] takes a Tile[rows, cols, dtype], got {tile!r}")
        self.direction, self.tile = direction, tile


class ScalarSpec:
    def __init__(self, dtype):
        self.dtype = dtype_name(dtype)


class _Dir:
    def __init__(self, direction):
        self.direction = direction

    def __getitem__(self, tile):
        return ParamSpec(self.direction, tile)


In = _Dir("in")
Out = _Dir("out")
InOut = _Dir("inout")


class _ScalarFactory:
    def __getitem__(self, dtype):
        return ScalarSpec(dtype)


Scalar = _ScalarFactory()
