//===- CelerisOps.h - All Celeris ops ---------------------------*- C++ -*-===//
//
// Convenience header declaring every Celeris op family.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_DIALECT_CELERIS_IR_CELERISOPS_H
#define CELERIS_DIALECT_CELERIS_IR_CELERISOPS_H

#include "celeris/Dialect/Celeris/IR/AttentionOps.h"
#include "celeris/Dialect/Celeris/IR/CompositeOps.h"
#include "celeris/Dialect/Celeris/IR/MoEOps.h"
#include "celeris/Dialect/Celeris/IR/RecurrenceOps.h"

#endif // CELERIS_DIALECT_CELERIS_IR_CELERISOPS_H
