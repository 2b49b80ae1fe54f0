// Tensor-map records celeris-compile refuses (tensor-maps.mlir).
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @uncounted(%x: memref<?x64xbf16>, %map: !llvm.ptr) kernel attributes {
        celeris.arg_names = ["x"], celeris.tensor_map_params = 2 : i64,
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, shared = "0",
          tensor_maps = [{source = "x", box = array<i64: 64, 64>, swizzle = 128 : i64}]}} {
      gpu.return
    }
    gpu.func @no_box(%x: memref<?x64xbf16>, %map: !llvm.ptr) kernel attributes {
        celeris.arg_names = ["x"], celeris.tensor_map_params = 1 : i64,
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, shared = "0",
          tensor_maps = [{source = "x", swizzle = 128 : i64}]}} {
      gpu.return
    }
  }
}
