/*===- celeris-c/Runtime.h - The Celeris GPU runtime C API ---------*- C
-*-===*\
|*                                                                            *|
|* Loads a Celeris artifact (kernel binaries plus a manifest) and launches    *|
|* its kernels on device pointers with runtime sizes. No MLIR dependency:     *|
|* the CUDA driver is opened with dlopen when a runtime is created, so a      *|
|* machine without a driver gets an error message, not a load failure.       *|
|*                                                                            *|
|* Every function returns 0 on success and non-zero on failure; the message  *|
|* of the last failure on the calling thread is celeris_last_error().        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef CELERIS_C_RUNTIME_H
#define CELERIS_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CelerisRuntime CelerisRuntime;
typedef struct CelerisModule CelerisModule;

/** The message of the last failed call on this thread ("" if none). */
const char *celeris_last_error(void);

/** Opens the CUDA driver, initialises it and makes the primary context of
 *  `device` current. */
int celeris_runtime_create(int device, CelerisRuntime **runtime);
void celeris_runtime_destroy(CelerisRuntime *runtime);

/** Loads the artifact whose manifest is `manifest_path` (binaries are found
 *  next to it). */
int celeris_module_load(CelerisRuntime *runtime, const char *manifest_path,
                        CelerisModule **module);
/** Reads only the manifest at `manifest_path`, with no runtime, driver or
 *  binaries: the module's kernels can be inspected and their launches
 *  checked with celeris_launch_geometry; celeris_launch fails on it. */
int celeris_module_load_manifest(const char *manifest_path,
                                 CelerisModule **module);
void celeris_module_unload(CelerisModule *module);

/** Number of kernels of the module and the name of kernel `index`. The
 *  module's programs (functions of several kernels, launched in order with
 *  buffers between them) are listed with its kernels: they are launched and
 *  inspected by name in the same way (arguments, results), but have no
 *  sizes and no geometry. */
int celeris_module_num_kernels(const CelerisModule *module);
const char *celeris_module_kernel_name(const CelerisModule *module, int index);

/** Argument kinds of a kernel, as the manifest declares them. */
enum CelerisArgKind {
  CELERIS_ARG_PTR = 0,
  CELERIS_ARG_I32 = 1,
  CELERIS_ARG_I64 = 2,
  CELERIS_ARG_F32 = 3,
  /** An MLIR strided memref descriptor of rank R, passed as a pointer to
   *  struct { void *allocated, *aligned; int64_t offset, sizes[R],
   *  strides[R]; } (MLIR's StridedMemRefType). */
  CELERIS_ARG_MEMREF = 4
};

/** Number of arguments of `kernel` (-1 if there is no such kernel), and the
 *  kind, memref rank, memref element type ("" for scalars) and name of
 *  argument `index`. */
int celeris_kernel_num_args(const CelerisModule *module, const char *kernel);
int celeris_kernel_arg(const CelerisModule *module, const char *kernel,
                       int index, int *kind, int *rank,
                       const char **element_type, const char **name);

/** Number of named sizes that `kernel` binds to the shapes of its memref
 *  arguments (-1 if there is no such kernel), and the name, argument name
 *  and dimension of binding `index`. */
int celeris_kernel_num_sizes(const CelerisModule *module, const char *kernel);
int celeris_kernel_size(const CelerisModule *module, const char *kernel,
                        int index, const char **name, const char **arg,
                        int *dim);

/** Number of outputs whose shape the manifest of `kernel` gives (-1 if there
 *  is no such kernel), and the argument name and shape of output `index`:
 *  one word a dimension, `ARG[DIM]` (dimension DIM of memref argument ARG)
 *  or an extent, e.g. "q[0] q[1] q[2] 128". */
int celeris_kernel_num_results(const CelerisModule *module, const char *kernel);
int celeris_kernel_result(const CelerisModule *module, const char *kernel,
                          int index, const char **name, const char **shape);

/** Launches `kernel` on `stream` (NULL: the default stream). `args` holds one
 *  pointer per manifest argument, pointing at its value (a device pointer, a
 *  scalar, or a memref descriptor). The launch geometry is evaluated from
 *  the named runtime sizes: those the manifest binds to argument shapes,
 *  read from the memref descriptors, and `size_names[i] = size_values[i]`.
 *  A size passed that is also bound must equal the bound value; a size the
 *  geometry uses must be bound or passed. (Before manifests bound sizes,
 *  every size was passed; such calls work unchanged.)
 *  A kernel with a `workspace` gets scratch memory the module owns: it grows
 *  (synchronizing the context, so not during stream capture: launch once
 *  before capturing) to the bytes the launch needs and is passed after the
 *  arguments. Launches of one kernel of a module share it, so they must be
 *  ordered (one stream, or synchronized).
 *  A program takes its arguments and results (memref descriptors) and no
 *  sizes; its buffers come from one module-owned allocation that grows in
 *  the same way, and its launches run in order on `stream`. */
int celeris_launch(CelerisModule *module, const char *kernel,
                   const char *const *size_names, const int64_t *size_values,
                   int num_sizes, void **args, int num_args, void *stream);

/** Checks a launch as celeris_launch does and evaluates its geometry without
 *  running it: the grid and the dynamic shared memory in bytes. */
int celeris_launch_geometry(const CelerisModule *module, const char *kernel,
                            const char *const *size_names,
                            const int64_t *size_values, int num_sizes,
                            void **args, int num_args, int64_t grid[3],
                            int64_t *shared_bytes);

/** Waits for all work on the current context. */
int celeris_synchronize(CelerisRuntime *runtime);

#ifdef __cplusplus
}
#endif

#endif /* CELERIS_C_RUNTIME_H */
