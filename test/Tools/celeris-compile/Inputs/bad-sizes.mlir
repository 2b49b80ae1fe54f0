module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @unknown_arg(%a: f32, %x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>,
                          sizes = {N = "z[0]"}},
        celeris.arg_names = ["a", "x"]} {
      gpu.return
    }
    gpu.func @scalar_arg(%a: f32, %x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>,
                          sizes = {N = "a[0]"}},
        celeris.arg_names = ["a", "x"]} {
      gpu.return
    }
    gpu.func @dim_out_of_range(%a: f32, %x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>,
                          sizes = {N = "x[1]"}},
        celeris.arg_names = ["a", "x"]} {
      gpu.return
    }
    gpu.func @no_brackets(%a: f32, %x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>,
                          sizes = {N = "x0"}},
        celeris.arg_names = ["a", "x"]} {
      gpu.return
    }
    gpu.func @bad_dim(%a: f32, %x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>,
                          sizes = {N = "x[d]"}},
        celeris.arg_names = ["a", "x"]} {
      gpu.return
    }
    gpu.func @not_a_string(%a: f32, %x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>,
                          sizes = {N = 0}},
        celeris.arg_names = ["a", "x"]} {
      gpu.return
    }
    gpu.func @bad_name(%a: f32, %x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>,
                          sizes = {"N N" = "x[0]"}},
        celeris.arg_names = ["a", "x"]} {
      gpu.return
    }
    gpu.func @not_a_dictionary(%a: f32, %x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["N", "1", "1"], block = array<i32: 32, 1, 1>,
                          sizes = ["x[0]"]},
        celeris.arg_names = ["a", "x"]} {
      gpu.return
    }
  }
}
