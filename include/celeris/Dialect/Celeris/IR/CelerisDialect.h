//===- CelerisDialect.h - Celeris dialect -----------------------*- C++ -*-===//
//
// Declares the Celeris dialect class.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISDIALECT_H
#define CELERIS_DIALECT_CELERIS_IR_CELERISDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "celeris/Dialect/Celeris/IR/CelerisDialect.h.inc"

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISDIALECT_H
