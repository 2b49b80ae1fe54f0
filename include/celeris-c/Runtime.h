/*===- celeris-c/Runtime.h - The Celeris GPU runtime C API ---------*- C -*-===*\
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
void celeris_module_unload(CelerisModule *module);

/** Number of kernels of the module and the name of kernel `index`. */
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

/** Launches `kernel` on `stream` (NULL: the default stream). `args` holds one
 *  pointer per manifest argument, pointing at its value (a device pointer, a
 *  scalar, or a memref descriptor). The launch geometry is evaluated from
 *  the named runtime sizes `size_names[i] = size_values[i]`. */
int celeris_launch(CelerisModule *module, const char *kernel,
                   const char *const *size_names, const int64_t *size_values,
                   int num_sizes, void **args, int num_args, void *stream);

/** Waits for all work on the current context. */
int celeris_synchronize(CelerisRuntime *runtime);

#ifdef __cplusplus
}
#endif

#endif /* CELERIS_C_RUNTIME_H */
