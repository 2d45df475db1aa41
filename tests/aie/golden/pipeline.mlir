// pipeline: workload 'pipeline' mapped onto npu1_4col by the PTO-WSP aie target (mlir-aie 78da3d91)
"builtin.module"() ({
  "aie.device"() ({
    %tile_0_0 = "aie.tile"() {col = 0 : i32, row = 0 : i32} : () -> index
    %tile_0_1 = "aie.tile"() {col = 0 : i32, row = 1 : i32} : () -> index
    %tile_0_2 = "aie.tile"() {col = 0 : i32, row = 2 : i32} : () -> index
    %tile_0_3 = "aie.tile"() {col = 0 : i32, row = 3 : i32} : () -> index
    %tile_0_4 = "aie.tile"() {col = 0 : i32, row = 4 : i32} : () -> index
    %tile_0_5 = "aie.tile"() {col = 0 : i32, row = 5 : i32} : () -> index
    "aie.objectfifo"(%tile_0_1, %tile_0_2) {sym_name = "X", elemNumber = 2 : i32, elemType = !aie.objectfifo<memref<16x128xf32>>, dimensionsToStream = #aie<bd_dim_layout_array[]>, dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[[]]>, pto.tensor = "X", pto.sharding = "R,R", pto.layout = "dims 0,1"} : (index, index) -> ()
    "aie.objectfifo"(%tile_0_0, %tile_0_1) {sym_name = "X_shim", elemNumber = 2 : i32, elemType = !aie.objectfifo<memref<16x128xf32>>, dimensionsToStream = #aie<bd_dim_layout_array[]>, dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[[]]>, pto.tensor = "X", pto.sharding = "R,R", pto.layout = "dims 0,1"} : (index, index) -> ()
    "aie.objectfifo"(%tile_0_2, %tile_0_3) {sym_name = "l2c_0", elemNumber = 2 : i32, elemType = !aie.objectfifo<memref<16x128xf32>>, dimensionsToStream = #aie<bd_dim_layout_array[]>, dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[[]]>, pto.channel = "l2c", pto.tensor = "Buf"} : (index, index) -> ()
    "aie.objectfifo"(%tile_0_2, %tile_0_4) {sym_name = "l2c_1", elemNumber = 2 : i32, elemType = !aie.objectfifo<memref<16x128xf32>>, dimensionsToStream = #aie<bd_dim_layout_array[]>, dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[[]]>, pto.channel = "l2c", pto.tensor = "Buf"} : (index, index) -> ()
    "aie.objectfifo"(%tile_0_3, %tile_0_5) {sym_name = "c2s_0", elemNumber = 2 : i32, elemType = !aie.objectfifo<memref<16x128xf32>>, dimensionsToStream = #aie<bd_dim_layout_array[]>, dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[[]]>, pto.channel = "c2s", pto.tensor = "Res"} : (index, index) -> ()
    "aie.objectfifo"(%tile_0_4, %tile_0_5) {sym_name = "c2s_1", elemNumber = 2 : i32, elemType = !aie.objectfifo<memref<16x128xf32>>, dimensionsToStream = #aie<bd_dim_layout_array[]>, dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[[]]>, pto.channel = "c2s", pto.tensor = "Res"} : (index, index) -> ()
    "aie.objectfifo"(%tile_0_5, %tile_0_1) {sym_name = "Y", elemNumber = 2 : i32, elemType = !aie.objectfifo<memref<16x128xf32>>, dimensionsToStream = #aie<bd_dim_layout_array[]>, dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[[]]>, pto.tensor = "Y", pto.sharding = "R,R", pto.layout = "dims 0,1"} : (index, index) -> ()
    "aie.objectfifo"(%tile_0_1, %tile_0_0) {sym_name = "Y_shim", elemNumber = 2 : i32, elemType = !aie.objectfifo<memref<16x128xf32>>, dimensionsToStream = #aie<bd_dim_layout_array[]>, dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[[]]>, pto.tensor = "Y", pto.sharding = "R,R", pto.layout = "dims 0,1"} : (index, index) -> ()
    "aie.objectfifo.link"() {fifoIns = [@X_shim], fifoOuts = [@X], src_offsets = [], dst_offsets = []} : () -> ()
    "aie.objectfifo.link"() {fifoIns = [@Y], fifoOuts = [@Y_shim], src_offsets = [], dst_offsets = []} : () -> ()
    "func.func"() <{function_type = (memref<16x128xf32>, memref<16x128xf32>) -> (), sym_name = "load_tile", sym_visibility = "private"}> ({
    }) : () -> ()
    "func.func"() <{function_type = (memref<16x128xf32>, memref<16x128xf32>) -> (), sym_name = "compute", sym_visibility = "private"}> ({
    }) : () -> ()
    "func.func"() <{function_type = (memref<16x128xf32>, memref<16x128xf32>) -> (), sym_name = "store_tile", sym_visibility = "private"}> ({
    }) : () -> ()
    // process 'loader' instance 0
    %core_0_2 = "aie.core"(%tile_0_2) ({
      %lb0 = "arith.constant"() <{value = 0 : index}> : () -> index
      %ub0 = "arith.constant"() <{value = 4 : index}> : () -> index
      %st0 = "arith.constant"() <{value = 1 : index}> : () -> index
      "scf.for"(%lb0, %ub0, %st0) ({
      ^bb0(%iv0: index):
        %sv1 = "aie.objectfifo.acquire"() {objFifo_name = @X, port = 1 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el1 = "aie.objectfifo.subview.access"(%sv1) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        %sv2 = "aie.objectfifo.acquire"() {objFifo_name = @l2c_0, port = 0 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el2 = "aie.objectfifo.subview.access"(%sv2) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        "func.call"(%el1, %el2) <{callee = @load_tile}> : (memref<16x128xf32>, memref<16x128xf32>) -> ()
        "aie.objectfifo.release"() {objFifo_name = @X, port = 1 : i32, size = 1 : i32} : () -> ()
        "aie.objectfifo.release"() {objFifo_name = @l2c_0, port = 0 : i32, size = 1 : i32} : () -> ()
        %sv3 = "aie.objectfifo.acquire"() {objFifo_name = @X, port = 1 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el3 = "aie.objectfifo.subview.access"(%sv3) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        %sv4 = "aie.objectfifo.acquire"() {objFifo_name = @l2c_1, port = 0 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el4 = "aie.objectfifo.subview.access"(%sv4) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        "func.call"(%el3, %el4) <{callee = @load_tile}> : (memref<16x128xf32>, memref<16x128xf32>) -> ()
        "aie.objectfifo.release"() {objFifo_name = @X, port = 1 : i32, size = 1 : i32} : () -> ()
        "aie.objectfifo.release"() {objFifo_name = @l2c_1, port = 0 : i32, size = 1 : i32} : () -> ()
        "scf.yield"() : () -> ()
      }) : (index, index, index) -> ()
      "aie.end"() : () -> ()
    }) {link_with = "pipeline_kernels.o"} : (index) -> index
    // process 'worker' instance 0
    %core_0_3 = "aie.core"(%tile_0_3) ({
      %lb5 = "arith.constant"() <{value = 0 : index}> : () -> index
      %ub5 = "arith.constant"() <{value = 4 : index}> : () -> index
      %st5 = "arith.constant"() <{value = 1 : index}> : () -> index
      "scf.for"(%lb5, %ub5, %st5) ({
      ^bb0(%iv5: index):
        %sv6 = "aie.objectfifo.acquire"() {objFifo_name = @l2c_0, port = 1 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el6 = "aie.objectfifo.subview.access"(%sv6) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        %sv7 = "aie.objectfifo.acquire"() {objFifo_name = @c2s_0, port = 0 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el7 = "aie.objectfifo.subview.access"(%sv7) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        "func.call"(%el6, %el7) <{callee = @compute}> : (memref<16x128xf32>, memref<16x128xf32>) -> ()
        "aie.objectfifo.release"() {objFifo_name = @l2c_0, port = 1 : i32, size = 1 : i32} : () -> ()
        "aie.objectfifo.release"() {objFifo_name = @c2s_0, port = 0 : i32, size = 1 : i32} : () -> ()
        "scf.yield"() : () -> ()
      }) : (index, index, index) -> ()
      "aie.end"() : () -> ()
    }) {link_with = "pipeline_kernels.o"} : (index) -> index
    // process 'worker' instance 1
    %core_0_4 = "aie.core"(%tile_0_4) ({
      %lb8 = "arith.constant"() <{value = 0 : index}> : () -> index
      %ub8 = "arith.constant"() <{value = 4 : index}> : () -> index
      %st8 = "arith.constant"() <{value = 1 : index}> : () -> index
      "scf.for"(%lb8, %ub8, %st8) ({
      ^bb0(%iv8: index):
        %sv9 = "aie.objectfifo.acquire"() {objFifo_name = @l2c_1, port = 1 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el9 = "aie.objectfifo.subview.access"(%sv9) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        %sv10 = "aie.objectfifo.acquire"() {objFifo_name = @c2s_1, port = 0 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el10 = "aie.objectfifo.subview.access"(%sv10) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        "func.call"(%el9, %el10) <{callee = @compute}> : (memref<16x128xf32>, memref<16x128xf32>) -> ()
        "aie.objectfifo.release"() {objFifo_name = @l2c_1, port = 1 : i32, size = 1 : i32} : () -> ()
        "aie.objectfifo.release"() {objFifo_name = @c2s_1, port = 0 : i32, size = 1 : i32} : () -> ()
        "scf.yield"() : () -> ()
      }) : (index, index, index) -> ()
      "aie.end"() : () -> ()
    }) {link_with = "pipeline_kernels.o"} : (index) -> index
    // process 'storer' instance 0
    %core_0_5 = "aie.core"(%tile_0_5) ({
      %lb11 = "arith.constant"() <{value = 0 : index}> : () -> index
      %ub11 = "arith.constant"() <{value = 4 : index}> : () -> index
      %st11 = "arith.constant"() <{value = 1 : index}> : () -> index
      "scf.for"(%lb11, %ub11, %st11) ({
      ^bb0(%iv11: index):
        %sv12 = "aie.objectfifo.acquire"() {objFifo_name = @c2s_0, port = 1 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el12 = "aie.objectfifo.subview.access"(%sv12) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        %sv13 = "aie.objectfifo.acquire"() {objFifo_name = @Y, port = 0 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el13 = "aie.objectfifo.subview.access"(%sv13) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        "func.call"(%el12, %el13) <{callee = @store_tile}> : (memref<16x128xf32>, memref<16x128xf32>) -> ()
        "aie.objectfifo.release"() {objFifo_name = @c2s_0, port = 1 : i32, size = 1 : i32} : () -> ()
        "aie.objectfifo.release"() {objFifo_name = @Y, port = 0 : i32, size = 1 : i32} : () -> ()
        %sv14 = "aie.objectfifo.acquire"() {objFifo_name = @c2s_1, port = 1 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el14 = "aie.objectfifo.subview.access"(%sv14) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        %sv15 = "aie.objectfifo.acquire"() {objFifo_name = @Y, port = 0 : i32, size = 1 : i32} : () -> !aie.objectfifosubview<memref<16x128xf32>>
        %el15 = "aie.objectfifo.subview.access"(%sv15) {index = 0 : i32} : (!aie.objectfifosubview<memref<16x128xf32>>) -> memref<16x128xf32>
        "func.call"(%el14, %el15) <{callee = @store_tile}> : (memref<16x128xf32>, memref<16x128xf32>) -> ()
        "aie.objectfifo.release"() {objFifo_name = @c2s_1, port = 1 : i32, size = 1 : i32} : () -> ()
        "aie.objectfifo.release"() {objFifo_name = @Y, port = 0 : i32, size = 1 : i32} : () -> ()
        "scf.yield"() : () -> ()
      }) : (index, index, index) -> ()
      "aie.end"() : () -> ()
    }) {link_with = "pipeline_kernels.o"} : (index) -> index
    "aiex.runtime_sequence"() ({
    ^bb0(%X: memref<128x128xf32>, %Y: memref<128x128xf32>):
      "aiex.npu.dma_memcpy_nd"(%X) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, x = 0 : i64, y = 0 : i64, id = 0 : i64, metadata = @X_shim, issue_token = false, static_offsets = array<i64: 0, 0, 0, 0>, static_sizes = array<i64: 1, 1, 1, 16384>, static_strides = array<i64: 0, 0, 0, 1>} : (memref<128x128xf32>) -> ()
      "aiex.npu.dma_memcpy_nd"(%Y) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, x = 0 : i64, y = 0 : i64, id = 1 : i64, metadata = @Y_shim, issue_token = true, static_offsets = array<i64: 0, 0, 0, 0>, static_sizes = array<i64: 1, 1, 1, 16384>, static_strides = array<i64: 0, 0, 0, 1>} : (memref<128x128xf32>) -> ()
      "aiex.npu.dma_wait"() {symbol = @Y_shim} : () -> ()
    }) {sym_name = "sequence"} : () -> ()
  }) {device = 8 : i32} : () -> ()
}) : () -> ()
