// IRDL description of the aie / aiex subset the aie target emits (mlir-aie 78da3d91,
// npu1_4col). Loaded by `mlir-opt-19 --irdl-file`, it catches what plain generic parsing
// lets through: misspelt ops, missing attributes, wrong element types, tiles outside the
// array. IRDL 19 has no traits, optional attributes or integer ranges, so: legal
// coordinates are listed value by value, the types live in dialect `aietype` (a type and an
// op of one dialect may not share a name; the checked copy spells !aie.objectfifo as
// !aietype.objectfifo), and the checked copy gets a terminator appended to each aie
// body (tests/aie/check_module.py).
irdl.dialect @aietype {
  irdl.type @objectfifo {
    %m = irdl.base "!builtin.memref"
    irdl.parameters(%m)
  }
  irdl.type @objectfifosubview {
    %m = irdl.base "!builtin.memref"
    irdl.parameters(%m)
  }
}

irdl.dialect @aie {
  irdl.operation @device {
    %npu1_4col = irdl.is 8 : i32
    irdl.attributes {"device" = %npu1_4col}
    %body = irdl.region
    irdl.regions(%body)
  }
  irdl.operation @tile {
    %c0 = irdl.is 0 : i32
    %c1 = irdl.is 1 : i32
    %c2 = irdl.is 2 : i32
    %c3 = irdl.is 3 : i32
    %col = irdl.any_of(%c0, %c1, %c2, %c3)
    %r0 = irdl.is 0 : i32
    %r1 = irdl.is 1 : i32
    %r2 = irdl.is 2 : i32
    %r3 = irdl.is 3 : i32
    %r4 = irdl.is 4 : i32
    %r5 = irdl.is 5 : i32
    %row = irdl.any_of(%r0, %r1, %r2, %r3, %r4, %r5)
    irdl.attributes {"col" = %col, "row" = %row}
    %idx = irdl.is index
    irdl.results(%idx)
  }
  irdl.operation @objectfifo {
    %idx = irdl.is index
    irdl.operands(%idx, variadic %idx)
    %name = irdl.base "#builtin.string"
    %depth = irdl.base "#builtin.integer"
    %m = irdl.base "!builtin.memref"
    %elem = irdl.parametric @aietype::@objectfifo<%m>
    %to = irdl.any
    %from = irdl.any
    irdl.attributes {"sym_name" = %name, "elemNumber" = %depth, "elemType" = %elem,
                     "dimensionsToStream" = %to, "dimensionsFromStreamPerConsumer" = %from}
  }
  irdl.operation @objectfifo.link {
    %ins = irdl.base "#builtin.array"
    %outs = irdl.base "#builtin.array"
    %src = irdl.base "#builtin.array"
    %dst = irdl.base "#builtin.array"
    irdl.attributes {"fifoIns" = %ins, "fifoOuts" = %outs, "src_offsets" = %src, "dst_offsets" = %dst}
  }
  irdl.operation @objectfifo.acquire {
    %fifo = irdl.base "#builtin.symbol_ref"
    %produce = irdl.is 0 : i32
    %consume = irdl.is 1 : i32
    %port = irdl.any_of(%produce, %consume)
    %one = irdl.is 1 : i32
    irdl.attributes {"objFifo_name" = %fifo, "port" = %port, "size" = %one}
    %m = irdl.base "!builtin.memref"
    %view = irdl.parametric @aietype::@objectfifosubview<%m>
    irdl.results(%view)
  }
  irdl.operation @objectfifo.subview.access {
    %m = irdl.base "!builtin.memref"
    %view = irdl.parametric @aietype::@objectfifosubview<%m>
    irdl.operands(%view)
    %index = irdl.base "#builtin.integer"
    irdl.attributes {"index" = %index}
    irdl.results(%m)
  }
  irdl.operation @objectfifo.release {
    %fifo = irdl.base "#builtin.symbol_ref"
    %produce = irdl.is 0 : i32
    %consume = irdl.is 1 : i32
    %port = irdl.any_of(%produce, %consume)
    %one = irdl.is 1 : i32
    irdl.attributes {"objFifo_name" = %fifo, "port" = %port, "size" = %one}
  }
  irdl.operation @core {
    %idx = irdl.is index
    irdl.operands(%idx)
    %obj = irdl.base "#builtin.string"
    irdl.attributes {"link_with" = %obj}
    %body = irdl.region
    irdl.regions(%body)
    irdl.results(%idx)
  }
  irdl.operation @end {
  }
}

irdl.dialect @aiex {
  irdl.operation @runtime_sequence {
    %name = irdl.base "#builtin.string"
    irdl.attributes {"sym_name" = %name}
    %body = irdl.region
    irdl.regions(%body)
  }
  irdl.operation @npu.dma_memcpy_nd {
    %buf = irdl.base "!builtin.memref"
    // Constant offsets / sizes / strides only: one operand, the segment sizes fixed.
    irdl.operands(%buf)
    %segments = irdl.is array<i32: 1, 0, 0, 0>
    %x = irdl.base "#builtin.integer"
    %y = irdl.base "#builtin.integer"
    %id = irdl.base "#builtin.integer"
    %fifo = irdl.base "#builtin.symbol_ref"
    %yes = irdl.is true
    %no = irdl.is false
    %token = irdl.any_of(%yes, %no)
    // One constraint value per attribute: a value used twice demands equal attributes.
    %offsets = irdl.base "#builtin.dense_array"
    %sizes = irdl.base "#builtin.dense_array"
    %strides = irdl.base "#builtin.dense_array"
    irdl.attributes {"operandSegmentSizes" = %segments, "x" = %x, "y" = %y, "id" = %id, "metadata" = %fifo, "issue_token" = %token,
                     "static_offsets" = %offsets, "static_sizes" = %sizes, "static_strides" = %strides}
  }
  irdl.operation @npu.dma_wait {
    %fifo = irdl.base "#builtin.symbol_ref"
    irdl.attributes {"symbol" = %fifo}
  }
}
