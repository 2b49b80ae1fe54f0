// Steps and result shapes celeris-compile refuses (launch-steps.mlir).
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @not_an_array(%x: memref<?xi32>) kernel attributes {
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, steps = "s"}} {
      gpu.return
    }
    gpu.func @missing(%x: memref<?xi32>) kernel attributes {
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, steps = ["nowhere"]}} {
      gpu.return
    }
    gpu.func @mismatched(%x: memref<?xi32>) kernel attributes {
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, steps = ["other_args"]}} {
      gpu.return
    }
    gpu.func @other_args(%x: memref<?xf32>) kernel attributes {
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>}} {
      gpu.return
    }
    gpu.func @unlaunched_step(%x: memref<?xi32>) kernel attributes {
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, steps = ["no_launch"]}} {
      gpu.return
    }
    gpu.func @no_launch(%x: memref<?xi32>) kernel {
      gpu.return
    }
    gpu.func @bad_product(%x: memref<?xi32>, %y: memref<?xi32>) kernel attributes {
        celeris.launch = {grid = ["1", "1", "1"], block = array<i32: 32, 1, 1>, results = {y = ["x[0]*"]}},
        celeris.arg_names = ["x", "y"]} {
      gpu.return
    }
  }
}
