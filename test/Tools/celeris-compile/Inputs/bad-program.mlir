// A program record whose launch has no kernel.
module attributes {gpu.container_module} {
  func.func private @p(memref<?xf32>) attributes {
      celeris.arg_names = ["x"],
      celeris.program = {launches = [{args = ["x"]}], buffers = [], results = {}}}
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, shared = "0"},
        celeris.arg_names = ["x"]} {
      gpu.return
    }
  }
}
