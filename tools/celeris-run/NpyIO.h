//===- NpyIO.h - Minimal .npy reader and writer -----------------*- C++ -*-===//
//
// Reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0 on
// read, 1.0 on write), little-endian, C order only. The element type is kept
// as the raw `descr` string of the header ('<f4', '<V2', ...); the caller
// decides which descrs it accepts.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_TOOLS_CELERISRUN_NPYIO_H
#define CELERIS_TOOLS_CELERISRUN_NPYIO_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace celeris::npy {

/// An array as stored in a .npy file: its dtype descr, shape and raw bytes.
struct Array {
  std::string descr;
  std::vector<int64_t> shape;
  std::vector<char> data;

  int64_t numElements() const;
};

/// Parses the header of an in-memory .npy file and copies its data.
llvm::Expected<Array> parse(llvm::StringRef contents);

/// Reads `path`. Errors name the file.
llvm::Expected<Array> read(llvm::StringRef path);

/// Writes `data` (row-major, `numElements * itemSize(descr)` bytes) to `path`.
llvm::Error write(llvm::StringRef path, llvm::StringRef descr,
                  llvm::ArrayRef<int64_t> shape, const void *data,
                  size_t numBytes);

/// The byte size of one element of `descr`, or 0 if the descr is not one of
/// the fixed-size little-endian types understood here.
size_t itemSize(llvm::StringRef descr);

} // namespace celeris::npy

#endif // CELERIS_TOOLS_CELERISRUN_NPYIO_H
