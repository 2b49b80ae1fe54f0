//===- ProgramToGPU.cpp - Programs of kernels -------------------*- C++ -*-===//
//
// A program (a function celeris-outline-kernels split into calls of
// functions of one Celeris op) becomes the record of the launches that
// run it: which kernel each call became, what each kernel argument is bound
// to (an argument or result of the program, or a buffer between launches),
// and each buffer's and result's shape in terms of the program's arguments,
// composed from the kernels' result shapes. celeris-compile writes it as a
// manifest `program`.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

/// A dimension as a product: extents, and "ARG[DIM]" of program arguments.
using Product = SmallVector<std::string, 2>;

/// What the program knows of one of its values.
struct ProgramValue {
  std::string name;
  SmallVector<Product> shape;
};

/// `product` as the manifest writes it: the extents multiplied out.
std::string printProduct(const Product &product) {
  int64_t extent = 1;
  SmallVector<std::string> names;
  for (const std::string &factor : product) {
    int64_t value;
    if (!StringRef(factor).getAsInteger(10, value))
      extent *= value;
    else
      names.push_back(factor);
  }
  if (extent != 1 || names.empty())
    names.insert(names.begin(), std::to_string(extent));
  return llvm::join(names, "*");
}

/// `value`'s shape as the record's array of dimension strings.
ArrayAttr getShapeAttr(MLIRContext *ctx, const ProgramValue &value) {
  SmallVector<Attribute> shape;
  for (const Product &product : value.shape)
    shape.push_back(StringAttr::get(ctx, printProduct(product)));
  return ArrayAttr::get(ctx, shape);
}

class ProgramBuilder {
public:
  ProgramBuilder(func::FuncOp program, gpu::GPUModuleOp kernels)
      : program(program), kernels(kernels) {}

  LogicalResult build();

private:
  /// A name not yet taken in the program, from `base`.
  std::string takeName(StringRef base) {
    std::string name = base.str();
    for (int i = 1; !names.insert(name).second; ++i)
      name = (base + "_" + Twine(i)).str();
    return name;
  }

  func::FuncOp program;
  gpu::GPUModuleOp kernels;
  llvm::StringSet<> names;
  DenseMap<Value, ProgramValue> values;
};

} // namespace

LogicalResult ProgramBuilder::build() {
  MLIRContext *ctx = program.getContext();
  Block &block = program.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  StringRef name = program.getSymName();

  // The kernel of each call and its argument sources.
  struct Launch {
    func::CallOp call;
    gpu::GPUFuncOp kernel;
    ArrayRef<int64_t> sources;
    ArrayAttr argNames;
  };
  SmallVector<Launch> launches;
  // The launches and the views (reshapes) in program order.
  SmallVector<Operation *> order;
  for (Operation &op : block.without_terminator()) {
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op))
      order.push_back(&op);
    // What computes a view's shape has no launch.
    if (!isa<func::CallOp>(op))
      continue;
    order.push_back(&op);
    auto call = dyn_cast<func::CallOp>(op);
    gpu::GPUFuncOp kernel =
        call ? kernels.lookupSymbol<gpu::GPUFuncOp>(call.getCallee())
             : gpu::GPUFuncOp();
    auto sources =
        kernel
            ? kernel->getAttrOfType<DenseI64ArrayAttr>(kArgumentSourcesAttrName)
            : DenseI64ArrayAttr();
    if (!sources)
      return op.emitError() << "GPU program: @" << name
                            << " may only call functions of one Celeris op, "
                               "which become kernels";
    launches.push_back({call, kernel, sources.asArrayRef(),
                        kernel->getAttrOfType<ArrayAttr>("celeris.arg_names")});
  }

  // Names: an argument is called what the first Celeris kernel reading it
  // calls it (the op's name for the operand), or `arg<N>` when only
  // loop_nest kernels read it; a result or buffer what the kernel writing
  // it calls it.
  for (BlockArgument arg : block.getArguments()) {
    std::string base;
    bool read = false;
    for (Launch &launch : launches)
      for (auto [i, source] : llvm::enumerate(launch.sources)) {
        if (source < 0 || launch.call.getOperand(source) != arg)
          continue;
        read = true;
        auto schedule = launch.kernel->getAttrOfType<GPUScheduleAttr>(
            GPUScheduleAttr::getAttrName());
        if (base.empty() && schedule &&
            schedule.getKernel() != KernelFamily::LoopNest)
          base = cast<StringAttr>(launch.argNames[i]).str();
      }
    if (!read)
      return program.emitError()
             << "GPU program: argument #" << arg.getArgNumber() << " of @"
             << name << " is read by no kernel";
    if (base.empty())
      base = "arg" + std::to_string(arg.getArgNumber());
    ProgramValue &value = values[arg];
    value.name = takeName(base);
    auto type = cast<ShapedType>(arg.getType());
    for (int64_t d = 0; d < type.getRank(); ++d)
      value.shape.push_back({type.isDynamicDim(d)
                                 ? (value.name + "[" + Twine(d) + "]").str()
                                 : std::to_string(type.getDimSize(d))});
  }
  for (auto [index, result] : llvm::enumerate(ret.getOperands())) {
    auto call = result.getDefiningOp<func::CallOp>();
    if (!call || llvm::count(ret.getOperands(), result) > 1)
      return ret.emitError()
             << "GPU program: result #" << index << " of @" << name
             << " must be a kernel's result, returned once: the program's "
                "results are the buffers its kernels write";
  }

  // Results are named before buffers: they are what the caller sees.
  for (Value result : ret.getOperands())
    for (Launch &launch : launches)
      for (auto [i, source] : llvm::enumerate(launch.sources))
        if (source < 0 && launch.call.getResult(-1 - source) == result)
          values[result].name =
              takeName(cast<StringAttr>(launch.argNames[i]).getValue());

  // The launches in order, their results' shapes composed from the
  // kernels' result shapes over what they read; views between them.
  SmallVector<Attribute> launchAttrs, bufferAttrs;
  auto recordBuffer = [&](Value value, StringRef viewOf) {
    const ProgramValue &known = values[value];
    SmallVector<NamedAttribute> fields = {
        NamedAttribute(StringAttr::get(ctx, "name"),
                       StringAttr::get(ctx, known.name)),
        NamedAttribute(StringAttr::get(ctx, "type"),
                       TypeAttr::get(getKernelMemRefType(value))),
        NamedAttribute(StringAttr::get(ctx, "shape"),
                       getShapeAttr(ctx, known))};
    if (!viewOf.empty())
      fields.push_back(NamedAttribute(StringAttr::get(ctx, "view"),
                                      StringAttr::get(ctx, viewOf)));
    bufferAttrs.push_back(DictionaryAttr::get(ctx, fields));
  };
  unsigned launchIndex = 0;
  for (Operation *op : order) {
    if (!isa<func::CallOp>(op)) {
      // A view: the same elements with the reshape's shape.
      Value source = op->getOperand(0), result = op->getResult(0);
      if (!values.count(source))
        return op->emitError() << "GPU program: the reshape's source is "
                                  "neither an argument nor a kernel's result";
      SmallVector<Product> sourceShape = values[source].shape;
      std::string sourceName = values[source].name;
      auto type = cast<ShapedType>(result.getType());
      SmallVector<Product> shape;
      if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
        for (const ReassociationIndices &group :
             collapse.getReassociationIndices()) {
          Product product;
          for (int64_t d : group)
            llvm::append_range(product, sourceShape[d]);
          shape.push_back(product);
        }
      } else {
        auto expand = cast<tensor::ExpandShapeOp>(op);
        for (auto [d, group] :
             llvm::enumerate(expand.getReassociationIndices())) {
          for (int64_t r : group) {
            if (!type.isDynamicDim(r))
              shape.push_back({std::to_string(type.getDimSize(r))});
            else if (group.size() == 1)
              shape.push_back(sourceShape[d]);
            else
              return op->emitError()
                     << "GPU program: a view's extents are products of the "
                        "arguments' extents; this expand_shape splits a "
                        "dynamic dimension, which needs a quotient";
          }
        }
      }
      ProgramValue &value = values[result];
      value.name = takeName(sourceName + "_view");
      value.shape = std::move(shape);
      recordBuffer(result, sourceName);
      continue;
    }
    Launch &launch = launches[launchIndex++];
    auto launchAttr =
        launch.kernel->getAttrOfType<DictionaryAttr>("celeris.launch");
    auto resultShapes =
        launchAttr ? launchAttr.getAs<DictionaryAttr>("results") : nullptr;
    // Kernel argument name -> what it is bound to.
    llvm::StringMap<Value> bound;
    for (auto [i, source] : llvm::enumerate(launch.sources))
      bound[cast<StringAttr>(launch.argNames[i]).getValue()] =
          source >= 0 ? launch.call.getOperand(source)
                      : launch.call.getResult(-1 - source);
    for (auto [i, source] : llvm::enumerate(launch.sources)) {
      if (source >= 0)
        continue;
      Value result = launch.call.getResult(-1 - source);
      StringRef argName = cast<StringAttr>(launch.argNames[i]).getValue();
      auto dims =
          resultShapes ? resultShapes.getAs<ArrayAttr>(argName) : nullptr;
      if (!dims)
        return launch.call.emitError()
               << "GPU program: kernel @" << launch.kernel.getName()
               << " states no shape for its result '" << argName
               << "', so the program cannot size the buffer for it";
      ProgramValue &value = values[result];
      bool returned = llvm::is_contained(ret.getOperands(), result);
      if (!returned)
        value.name = takeName(argName);
      auto type = cast<ShapedType>(result.getType());
      for (auto [d, dim] : llvm::enumerate(dims)) {
        Product product;
        if (!type.isDynamicDim(d)) {
          product.push_back(std::to_string(type.getDimSize(d)));
          value.shape.push_back(product);
          continue;
        }
        SmallVector<StringRef> factors;
        cast<StringAttr>(dim).getValue().split(factors, '*');
        for (StringRef factor : factors) {
          auto [arg, rest] = factor.split('[');
          unsigned index;
          auto it = bound.find(arg);
          if (rest.empty()) {
            product.push_back(factor.str());
          } else if (it != bound.end() && values.count(it->second) &&
                     !rest.drop_back().getAsInteger(10, index) &&
                     index < values[it->second].shape.size()) {
            llvm::append_range(product, values[it->second].shape[index]);
          } else {
            return launch.call.emitError()
                   << "GPU program: the shape of '" << argName
                   << "' of kernel @" << launch.kernel.getName() << " reads '"
                   << factor
                   << "', which is no dimension of what the program passes "
                      "it";
          }
        }
        value.shape.push_back(product);
      }
      if (!returned)
        recordBuffer(result, "");
    }
    SmallVector<Attribute> args;
    for (auto [i, source] : llvm::enumerate(launch.sources)) {
      Value value = source >= 0 ? launch.call.getOperand(source)
                                : launch.call.getResult(-1 - source);
      args.push_back(StringAttr::get(ctx, values[value].name));
    }
    launchAttrs.push_back(DictionaryAttr::get(
        ctx,
        {NamedAttribute(StringAttr::get(ctx, "kernel"),
                        SymbolRefAttr::get(kernels.getNameAttr(),
                                           {FlatSymbolRefAttr::get(
                                               launch.kernel.getNameAttr())})),
         NamedAttribute(StringAttr::get(ctx, "args"),
                        ArrayAttr::get(ctx, args))}));
  }

  // The program as a declaration taking its arguments and then its
  // results as memrefs, as a kernel does.
  SmallVector<Type> types;
  SmallVector<Attribute> argNames;
  NamedAttrList results;
  for (BlockArgument arg : block.getArguments()) {
    types.push_back(getKernelMemRefType(arg));
    argNames.push_back(StringAttr::get(ctx, values[arg].name));
  }
  for (Value result : ret.getOperands()) {
    types.push_back(getKernelMemRefType(result));
    const ProgramValue &value = values[result];
    argNames.push_back(StringAttr::get(ctx, value.name));
    results.append(value.name, getShapeAttr(ctx, value));
  }
  OpBuilder builder(program);
  auto record = func::FuncOp::create(builder, program.getLoc(), name,
                                     builder.getFunctionType(types, {}));
  record.setPrivate();
  record->setAttr("celeris.arg_names", ArrayAttr::get(ctx, argNames));
  record->setAttr(kProgramAttrName,
                  DictionaryAttr::get(
                      ctx, {NamedAttribute(StringAttr::get(ctx, "launches"),
                                           ArrayAttr::get(ctx, launchAttrs)),
                            NamedAttribute(StringAttr::get(ctx, "buffers"),
                                           ArrayAttr::get(ctx, bufferAttrs)),
                            NamedAttribute(StringAttr::get(ctx, "results"),
                                           results.getDictionary(ctx))}));
  program.erase();
  return success();
}

LogicalResult mlir::celeris::lowerProgramToGPU(func::FuncOp program,
                                               gpu::GPUModuleOp kernels) {
  return ProgramBuilder(program, kernels).build();
}
