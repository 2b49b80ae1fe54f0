//===- Manifest.cpp - Celeris artifact manifests ----------------*- C++ -*-===//
//
// A recursive-descent parser for the manifest and its size expressions, and
// the binding of named sizes to the shapes of a launch's memref arguments.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <sstream>

using namespace celeris::runtime;

namespace {

bool isIdentifier(const std::string &word) {
  if (word.empty() || std::isdigit(static_cast<unsigned char>(word[0])))
    return false;
  return std::all_of(word.begin(), word.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_';
  });
}

/// Whether `word` is 1 or 2 decimal digits (a memref rank or dimension).
bool isSmallNumber(const std::string &word) {
  return !word.empty() && word.size() <= 2 &&
         word.find_first_not_of("0123456789") == std::string::npos;
}

/// Parses `?x?x128` into `shape` (kDynamic for `?`); false when an extent
/// is neither `?` nor a positive integer.
bool parseShape(const std::string &text, std::vector<int64_t> &shape) {
  std::istringstream extents(text);
  std::string extent;
  while (std::getline(extents, extent, 'x')) {
    if (extent == "?") {
      shape.push_back(KernelArg::kDynamic);
      continue;
    }
    // 18 digits cannot overflow int64_t.
    if (extent.empty() || extent.size() > 18 || extent[0] == '0' ||
        extent.find_first_not_of("0123456789") != std::string::npos)
      return false;
    shape.push_back(std::stoll(extent));
  }
  // getline drops a trailing empty field: `?x` must not pass as `?`.
  return !text.empty() && text.back() != 'x';
}

/// Extent `dim` of a memref descriptor (StridedMemRefType: allocated and
/// aligned pointers, offset, sizes[rank], strides[rank], 8 bytes each; the
/// runtime is 64-bit only).
/// "kernel 'k'" or "program 'p'", as messages name them.
std::string what(const KernelSpec &kernel) {
  return (kernel.program ? "program '" : "kernel '") + kernel.name + "'";
}

/// Parses `memref<RANK:ELEMENT>` (the element is optional).
bool parseMemRefKind(const std::string &kind, unsigned &rank,
                     std::string &elementType) {
  if (kind.rfind("memref<", 0) != 0 || kind.back() != '>')
    return false;
  std::string body = kind.substr(7, kind.size() - 8);
  size_t colon = body.find(':');
  std::string digits = body.substr(0, colon);
  elementType = colon == std::string::npos ? "" : body.substr(colon + 1);
  if (!isSmallNumber(digits) ||
      (colon != std::string::npos && elementType.empty()))
    return false;
  rank = std::stoi(digits);
  return true;
}

/// What `name` is in a program: an argument's index, a buffer's index `b`
/// as `-1 - b`, or kNoName.
constexpr int kNoName = std::numeric_limits<int>::min();
int programName(const KernelSpec &program, const std::string &name) {
  for (size_t i = 0; i < program.args.size(); ++i)
    if (program.args[i].name == name)
      return static_cast<int>(i);
  const std::vector<ProgramBuffer> &buffers = program.program->buffers;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].type.name == name)
      return -1 - static_cast<int>(i);
  return kNoName;
}

/// floor(a / b) for b != 0.
int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

class Constant : public SizeExpr {
public:
  explicit Constant(int64_t value) : value(value) {}
  std::optional<int64_t> evaluate(const std::map<std::string, int64_t> &,
                                  std::string &) const override {
    return value;
  }

private:
  int64_t value;
};

class Name : public SizeExpr {
public:
  explicit Name(std::string name) : name(std::move(name)) {}
  std::optional<int64_t> evaluate(const std::map<std::string, int64_t> &sizes,
                                  std::string &error) const override {
    auto it = sizes.find(name);
    if (it == sizes.end()) {
      error = "no value was given for size '" + name + "'";
      return std::nullopt;
    }
    return it->second;
  }

private:
  std::string name;
};

class Binary : public SizeExpr {
public:
  Binary(std::string op, std::unique_ptr<SizeExpr> lhs,
         std::unique_ptr<SizeExpr> rhs)
      : op(std::move(op)), lhs(std::move(lhs)), rhs(std::move(rhs)) {}
  std::optional<int64_t> evaluate(const std::map<std::string, int64_t> &sizes,
                                  std::string &error) const override {
    std::optional<int64_t> a = lhs->evaluate(sizes, error);
    if (!a)
      return std::nullopt;
    std::optional<int64_t> b = rhs->evaluate(sizes, error);
    if (!b)
      return std::nullopt;
    if ((op == "/" || op == "ceildiv") && *b == 0) {
      error = "division by zero in a launch-geometry expression";
      return std::nullopt;
    }
    if (op == "+")
      return *a + *b;
    if (op == "-")
      return *a - *b;
    if (op == "*")
      return *a * *b;
    if (op == "/")
      return floorDiv(*a, *b);
    if (op == "ceildiv")
      return -floorDiv(-*a, *b);
    if (op == "min")
      return std::min(*a, *b);
    return std::max(*a, *b);
  }

private:
  std::string op;
  std::unique_ptr<SizeExpr> lhs, rhs;
};

/// expr := term (('+'|'-') term)*; term := atom (('*'|'/') atom)*;
/// atom := int | name | fn '(' expr ',' expr ')' | '(' expr ')'.
class ExprParser {
public:
  ExprParser(const std::string &text, std::string &error)
      : text(text), error(error) {}

  std::unique_ptr<SizeExpr> parseAll() {
    std::unique_ptr<SizeExpr> e = parseExpr();
    if (e && pos != text.size())
      return fail("unexpected '" + text.substr(pos) + "'");
    return e;
  }

private:
  std::unique_ptr<SizeExpr> fail(const std::string &message) {
    if (error.empty())
      error = "bad expression '" + text + "': " + message;
    return nullptr;
  }
  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  std::unique_ptr<SizeExpr> parseExpr() {
    std::unique_ptr<SizeExpr> lhs = parseTerm();
    while (lhs && pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      std::string op(1, text[pos++]);
      std::unique_ptr<SizeExpr> rhs = parseTerm();
      if (!rhs)
        return nullptr;
      lhs = std::make_unique<Binary>(op, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  std::unique_ptr<SizeExpr> parseTerm() {
    std::unique_ptr<SizeExpr> lhs = parseAtom();
    while (lhs && pos < text.size() && (text[pos] == '*' || text[pos] == '/')) {
      std::string op(1, text[pos++]);
      std::unique_ptr<SizeExpr> rhs = parseAtom();
      if (!rhs)
        return nullptr;
      lhs = std::make_unique<Binary>(op, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }
  std::unique_ptr<SizeExpr> parseAtom() {
    if (pos >= text.size())
      return fail("expected a value");
    if (consume('(')) {
      std::unique_ptr<SizeExpr> e = parseExpr();
      if (e && !consume(')'))
        return fail("expected ')'");
      return e;
    }
    if (std::isdigit(static_cast<unsigned char>(text[pos]))) {
      int64_t value = 0;
      while (pos < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[pos])))
        value = value * 10 + (text[pos++] - '0');
      return std::make_unique<Constant>(value);
    }
    size_t start = pos;
    while (pos < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[pos])) ||
            text[pos] == '_'))
      ++pos;
    if (start == pos)
      return fail(std::string("unexpected '") + text[pos] + "'");
    std::string word = text.substr(start, pos - start);
    if (word != "ceildiv" && word != "min" && word != "max")
      return std::make_unique<Name>(word);
    if (!consume('('))
      return fail("expected '(' after " + word);
    std::unique_ptr<SizeExpr> a = parseExpr();
    if (!a)
      return nullptr;
    if (!consume(','))
      return fail("expected ',' in " + word);
    std::unique_ptr<SizeExpr> b = parseExpr();
    if (!b)
      return nullptr;
    if (!consume(')'))
      return fail("expected ')' after the arguments of " + word);
    return std::make_unique<Binary>(word, std::move(a), std::move(b));
  }

  const std::string &text;
  std::string &error;
  size_t pos = 0;
};

} // namespace

std::unique_ptr<SizeExpr> SizeExpr::parse(const std::string &text,
                                          std::string &error) {
  return ExprParser(text, error).parseAll();
}

std::optional<Manifest> Manifest::parse(const std::string &text,
                                        std::string &error) {
  Manifest manifest;
  std::istringstream lines(text);
  std::string line;
  int lineNo = 0;
  bool sawHeader = false;
  KernelSpec *kernel = nullptr;
  // A `size` line may come before the `arg` line it names: bindings are
  // resolved at `end` and reported at their own line.
  struct PendingSize {
    SizeBinding binding;
    std::string arg;
    int line;
  };
  std::vector<PendingSize> pendingSizes;
  struct PendingResult {
    std::string name;
    std::vector<std::string> dims;
    int line;
  };
  std::vector<PendingResult> pendingResults;
  auto failAt = [&](int line,
                    const std::string &message) -> std::optional<Manifest> {
    error = "manifest line " + std::to_string(line) + ": " + message;
    return std::nullopt;
  };
  auto fail = [&](const std::string &message) {
    return failAt(lineNo, message);
  };
  auto parseExpr = [&](const std::string &word,
                       std::unique_ptr<SizeExpr> &out) {
    std::string exprError;
    out = SizeExpr::parse(word, exprError);
    if (!out)
      error = "manifest line " + std::to_string(lineNo) + ": " + exprError;
    return out != nullptr;
  };
  // A program's launches name kernels that may come after it: they are
  // resolved once every kernel is read.
  struct PendingLaunch {
    ProgramLaunch launch;
    int line;
  };
  std::vector<std::pair<size_t, PendingLaunch>> pendingLaunches;
  std::vector<PendingResult> pendingBuffers;
  auto memrefArg = [&](const std::string &name) {
    auto arg = std::find_if(kernel->args.begin(), kernel->args.end(),
                            [&](const KernelArg &a) { return a.name == name; });
    return arg != kernel->args.end() && arg->kind == ArgKind::MemRef
               ? static_cast<int>(arg - kernel->args.begin())
               : -1;
  };
  // The dimensions of a result or buffer: products of extents and
  // dimensions of memref arguments.
  auto parseDims = [&](const PendingResult &result, const std::string &what,
                       ResultShape &shape) {
    auto bad = [&](const std::string &dim, const std::string &expected) {
      failAt(result.line, "bad dimension '" + dim + "' of " + what + " '" +
                              result.name + "', expected " + expected);
      return false;
    };
    for (const std::string &dim : result.dims) {
      shape.text += (shape.text.empty() ? "" : " ") + dim;
      ResultShape::Dim d;
      std::istringstream factors(dim);
      std::string factor;
      while (std::getline(factors, factor, '*')) {
        ResultShape::Factor f;
        size_t open = factor.find('[');
        if (open == std::string::npos) {
          std::vector<int64_t> extent;
          if (!parseShape(factor, extent) || extent.size() != 1 ||
              extent[0] == KernelArg::kDynamic)
            return bad(dim, "ARG[DIM] or an extent, or their product");
          f.extent = extent[0];
        } else {
          std::string source = factor.substr(0, open);
          std::string index = factor.substr(open + 1);
          if (index.empty() || index.back() != ']')
            return bad(dim, "ARG[DIM]");
          index.pop_back();
          f.arg = memrefArg(source);
          if (f.arg < 0 || !isSmallNumber(index) ||
              static_cast<unsigned>(std::stoi(index)) >=
                  kernel->args[f.arg].rank) {
            failAt(result.line, "dimension '" + dim + "' of " + what + " '" +
                                    result.name +
                                    "' reads no dimension of a memref "
                                    "argument");
            return false;
          }
          f.dim = static_cast<unsigned>(std::stoi(index));
        }
        d.factors.push_back(f);
      }
      // getline drops a trailing empty field: `x[0]*` is no product.
      if (d.factors.empty() || dim.back() == '*')
        return bad(dim, "ARG[DIM] or an extent, or their product");
      shape.dims.push_back(d);
    }
    return true;
  };
  while (std::getline(lines, line)) {
    ++lineNo;
    if (size_t hash = line.find('#'); hash != std::string::npos)
      line.resize(hash);
    std::istringstream words(line);
    std::string key;
    if (!(words >> key))
      continue;
    if (!sawHeader) {
      std::string version;
      if (key != "celeris-artifact" || !(words >> version) || version != "1")
        return fail("expected 'celeris-artifact 1'");
      sawHeader = true;
      continue;
    }
    if (key == "kernel" || key == "program") {
      if (kernel)
        return fail("'" + key + "' inside " + what(*kernel));
      manifest.kernels.emplace_back();
      kernel = &manifest.kernels.back();
      if (key == "program")
        kernel->program = std::make_unique<ProgramSpec>();
      if (!(words >> kernel->name))
        return fail("expected a " + key + " name");
      for (const KernelSpec &other : manifest.kernels)
        if (&other != kernel && other.name == kernel->name)
          return fail("'" + kernel->name + "' is defined twice");
      continue;
    }
    if (!kernel)
      return fail("'" + key + "' outside a kernel");
    if (kernel->program && key != "arg" && key != "result" && key != "buffer" &&
        key != "view" && key != "launch" && key != "end")
      return fail("'" + key + "' in program '" + kernel->name +
                  "' (a program has arg, result, buffer, view and launch "
                  "lines)");
    if (!kernel->program &&
        (key == "buffer" || key == "view" || key == "launch"))
      return fail("'" + key + "' in kernel '" + kernel->name +
                  "' (only a program has " + key + " lines)");
    // Geometry lines after a `step` line are the step's.
    KernelLaunch *launch =
        kernel->steps.empty() ? kernel : &kernel->steps.back();
    if ((key == "end" && !kernel->program) || key == "step") {
      if (!launch->grid[0] || !launch->sharedBytes)
        return fail(kernel->steps.empty()
                        ? "kernel '" + kernel->name +
                              "' needs binary, symbol, grid and shared"
                        : "step '" + launch->symbol + "' of kernel '" +
                              kernel->name + "' needs grid and shared");
    }
    if (key == "step") {
      kernel->steps.emplace_back();
      if (!(words >> kernel->steps.back().symbol))
        return fail("expected a step's symbol name");
      continue;
    }
    if (!kernel->steps.empty() && key != "end" && key != "grid" &&
        key != "block" && key != "shared")
      return fail("'" + key + "' after a step of kernel '" + kernel->name +
                  "' (a step has only grid, block and shared)");
    if (key == "end") {
      if (!kernel->program &&
          (kernel->binary.empty() || kernel->symbol.empty() ||
           !kernel->grid[0] || !kernel->sharedBytes))
        return fail("kernel '" + kernel->name +
                    "' needs binary, symbol, grid and shared");
      for (PendingSize &size : pendingSizes) {
        const std::string &name = size.binding.name;
        auto arg = std::find_if(
            kernel->args.begin(), kernel->args.end(),
            [&](const KernelArg &a) { return a.name == size.arg; });
        if (arg == kernel->args.end())
          return failAt(size.line, "size '" + name + "' reads '" + size.arg +
                                       "', which is no argument of kernel '" +
                                       kernel->name + "'");
        if (arg->kind != ArgKind::MemRef)
          return failAt(size.line, "size '" + name + "' reads '" + size.arg +
                                       "', which is not a memref argument");
        if (size.binding.dim >= arg->rank)
          return failAt(size.line, "size '" + name + "' reads dimension " +
                                       std::to_string(size.binding.dim) +
                                       " of '" + size.arg +
                                       "', which has rank " +
                                       std::to_string(arg->rank));
        size.binding.arg = static_cast<unsigned>(arg - kernel->args.begin());
        kernel->sizes.push_back(size.binding);
      }
      pendingSizes.clear();
      for (PendingResult &result : pendingResults) {
        int out = memrefArg(result.name);
        if (out < 0)
          return failAt(result.line, "result '" + result.name +
                                         "' is no memref argument of kernel '" +
                                         kernel->name + "'");
        if (result.dims.size() != kernel->args[out].rank)
          return failAt(result.line,
                        "result '" + result.name + "' has " +
                            std::to_string(result.dims.size()) +
                            " dimensions, but the memref has rank " +
                            std::to_string(kernel->args[out].rank));
        ResultShape shape{static_cast<unsigned>(out), {}, ""};
        if (!parseDims(result, "result", shape))
          return std::nullopt;
        kernel->results.push_back(std::move(shape));
      }
      pendingResults.clear();
      for (PendingResult &buffer : pendingBuffers) {
        ProgramBuffer &spec =
            kernel->program->buffers[&buffer - &pendingBuffers[0]];
        if (buffer.dims.size() != spec.type.rank)
          return failAt(buffer.line,
                        "buffer '" + buffer.name + "' has " +
                            std::to_string(buffer.dims.size()) +
                            " dimensions, but its memref has rank " +
                            std::to_string(spec.type.rank));
        ResultShape shape;
        if (!parseDims(buffer, "buffer", shape))
          return std::nullopt;
        spec.dims = std::move(shape.dims);
      }
      pendingBuffers.clear();
      kernel = nullptr;
    } else if (key == "buffer" || key == "view") {
      std::string type, source;
      PendingResult buffer{"", {}, lineNo};
      bool view = key == "view";
      if (!(words >> buffer.name >> type) || !isIdentifier(buffer.name) ||
          (view && !(words >> source)))
        return fail(view ? "expected 'view <name> memref<RANK:ELEMENT> "
                           "<argument or buffer> <ARG[DIM] or extent>...'"
                         : "expected 'buffer <name> memref<RANK:ELEMENT> "
                           "<ARG[DIM] or extent>...'");
      KernelArg arg{ArgKind::MemRef, buffer.name, 0, "", {}};
      if (!parseMemRefKind(type, arg.rank, arg.elementType) ||
          arg.elementType.empty())
        return fail("bad buffer type '" + type +
                    "', expected memref<RANK:ELEMENT>");
      if (elementBytes(arg.elementType) == 0)
        return fail("buffer '" + buffer.name + "' has element type '" +
                    arg.elementType + "', which the runtime cannot size");
      if (programName(*kernel, buffer.name) != kNoName)
        return fail("'" + buffer.name + "' names two things in program '" +
                    kernel->name + "'");
      int viewOf = ProgramBuffer::kNotAView;
      if (view) {
        viewOf = programName(*kernel, source);
        if (viewOf == kNoName)
          return fail("view '" + buffer.name + "' shows '" + source +
                      "', which is no argument or earlier buffer of program '" +
                      kernel->name + "'");
        const KernelArg &of = viewOf >= 0
                                  ? kernel->args[viewOf]
                                  : kernel->program->buffers[-1 - viewOf].type;
        if (of.elementType != arg.elementType)
          return fail("view '" + buffer.name + "' of '" + source +
                      "' has element type '" + arg.elementType +
                      "', its source '" + of.elementType + "'");
      }
      for (std::string dim; words >> dim;)
        buffer.dims.push_back(dim);
      kernel->program->buffers.push_back({arg, {}, viewOf});
      pendingBuffers.push_back(std::move(buffer));
    } else if (key == "launch") {
      PendingLaunch launch{{}, lineNo};
      if (!(words >> launch.launch.kernel))
        return fail("expected 'launch <kernel> <argument or buffer>...'");
      for (std::string word; words >> word;) {
        int operand = programName(*kernel, word);
        if (operand == kNoName)
          return fail("launch of '" + launch.launch.kernel + "' passes '" +
                      word + "', which is no argument or buffer of program '" +
                      kernel->name + "'");
        launch.launch.operands.push_back(operand);
      }
      pendingLaunches.push_back(
          {static_cast<size_t>(kernel - &manifest.kernels[0]),
           std::move(launch)});
    } else if (key == "binary") {
      if (!(words >> kernel->binary))
        return fail("expected a file name");
    } else if (key == "symbol") {
      if (!(words >> kernel->symbol))
        return fail("expected a symbol name");
    } else if (key == "grid") {
      for (auto &dim : launch->grid) {
        std::string word;
        if (!(words >> word))
          return fail("grid needs 3 expressions");
        if (!parseExpr(word, dim))
          return std::nullopt;
      }
    } else if (key == "block") {
      for (unsigned &dim : launch->block)
        if (!(words >> dim) || dim == 0)
          return fail("block needs 3 positive integers");
    } else if (key == "shared") {
      std::string word;
      if (!(words >> word))
        return fail("expected an expression");
      if (!parseExpr(word, launch->sharedBytes))
        return std::nullopt;
    } else if (key == "result") {
      PendingResult result{"", {}, lineNo};
      if (!(words >> result.name) || !isIdentifier(result.name))
        return fail("expected 'result <memref argument> <ARG[DIM] or "
                    "extent>...'");
      for (std::string dim; words >> dim;)
        result.dims.push_back(dim);
      pendingResults.push_back(std::move(result));
    } else if (key == "workspace") {
      std::string word;
      if (!(words >> word))
        return fail("expected an expression");
      if (!parseExpr(word, kernel->workspaceBytes))
        return std::nullopt;
    } else if (key == "arg") {
      std::string kind, name, field, extents;
      if (!(words >> kind >> name))
        return fail("expected 'arg <ptr|i32|i64|f32|memref<RANK:ELEMENT>> "
                    "<name> [shape <extents>]'");
      ArgKind argKind;
      unsigned rank = 0;
      std::string elementType;
      if (kind.rfind("memref<", 0) == 0) {
        // memref<RANK:ELEMENT>, e.g. memref<4:bf16>.
        if (!parseMemRefKind(kind, rank, elementType))
          return fail("bad memref argument '" + kind +
                      "', expected memref<RANK:ELEMENT>");
        argKind = ArgKind::MemRef;
      } else if (kind == "ptr")
        argKind = ArgKind::Pointer;
      else if (kind == "i32")
        argKind = ArgKind::I32;
      else if (kind == "i64")
        argKind = ArgKind::I64;
      else if (kind == "f32")
        argKind = ArgKind::F32;
      else
        return fail("unknown argument kind '" + kind + "'");
      std::vector<int64_t> shape;
      if (words >> field) {
        if (field != "shape" || !(words >> extents))
          return fail("expected 'shape <extents>' after argument '" + name +
                      "'");
        if (argKind != ArgKind::MemRef)
          return fail("argument '" + name + "' has a shape but is no memref");
        if (!parseShape(extents, shape))
          return fail("bad shape '" + extents + "' of argument '" + name +
                      "', expected extents '?' or positive integers "
                      "separated by 'x'");
        if (shape.size() != rank)
          return fail("shape '" + extents + "' of argument '" + name +
                      "' has " + std::to_string(shape.size()) +
                      " extents, but the memref has rank " +
                      std::to_string(rank));
      }
      if (kernel->program &&
          (argKind != ArgKind::MemRef || elementType.empty()))
        return fail("argument '" + name + "' of program '" + kernel->name +
                    "' must be a memref<RANK:ELEMENT>");
      if (kernel->program && programName(*kernel, name) != kNoName)
        return fail("'" + name + "' names two things in program '" +
                    kernel->name + "'");
      kernel->args.push_back({argKind, name, rank, elementType, shape});
    } else if (key == "tensor_map") {
      std::string name, boxWord, boxText, swizzleWord, swizzleText;
      if (!(words >> name >> boxWord >> boxText >> swizzleWord >>
            swizzleText) ||
          boxWord != "box" || swizzleWord != "swizzle")
        return fail("expected 'tensor_map <memref argument> box <extents> "
                    "swizzle <0|128>'");
      int arg = memrefArg(name);
      if (arg < 0)
        return fail("tensor_map over '" + name +
                    "', which is no earlier memref argument of kernel '" +
                    kernel->name + "'");
      const KernelArg &source = kernel->args[arg];
      TensorMapSpec map;
      map.arg = static_cast<unsigned>(arg);
      if (!parseShape(boxText, map.box) ||
          std::find(map.box.begin(), map.box.end(), KernelArg::kDynamic) !=
              map.box.end())
        return fail("bad box '" + boxText + "' of the tensor map over '" +
                    name + "', expected positive integers separated by 'x'");
      if (map.box.size() != source.rank || source.rank > 5)
        return fail("the box of the tensor map over '" + name + "' has " +
                    std::to_string(map.box.size()) +
                    " extents, but the memref has rank " +
                    std::to_string(source.rank) +
                    " (a tensor map has 1 to 5 dimensions)");
      for (int64_t extent : map.box)
        if (extent > 256)
          return fail("box extent " + std::to_string(extent) +
                      " of the tensor map over '" + name +
                      "' is past 256, the most one copy moves");
      int64_t bytes = elementBytes(source.elementType);
      if (bytes == 0)
        return fail("the tensor map over '" + name + "' has element type '" +
                    source.elementType + "', which the runtime cannot size");
      int64_t rowBytes = map.box.back() * bytes;
      if (swizzleText != "0" && swizzleText != "128")
        return fail("swizzle of the tensor map over '" + name +
                    "' must be 0 or 128 bytes, got '" + swizzleText + "'");
      map.swizzleBytes = std::stoi(swizzleText);
      if (rowBytes % 16 != 0 || (map.swizzleBytes == 128 && rowBytes > 128))
        return fail("the innermost box extent of the tensor map over '" + name +
                    "' spans " + std::to_string(rowBytes) +
                    " bytes; it must be a multiple of 16" +
                    (map.swizzleBytes == 128 ? " and at most the 128 of "
                                               "the swizzle"
                                             : ""));
      kernel->tensorMaps.push_back(std::move(map));
    } else if (key == "size") {
      std::string name, arg, dim;
      if (!(words >> name >> arg >> dim) || !isIdentifier(name) ||
          !isSmallNumber(dim))
        return fail("expected 'size <name> <memref argument> <dimension>'");
      for (const PendingSize &size : pendingSizes)
        if (size.binding.name == name)
          return fail("size '" + name + "' is bound twice in kernel '" +
                      kernel->name + "'");
      pendingSizes.push_back(
          {{name, 0, static_cast<unsigned>(std::stoi(dim))}, arg, lineNo});
    } else {
      return fail("unknown directive '" + key + "'");
    }
  }
  if (!sawHeader)
    return fail("empty manifest");
  if (kernel)
    return fail(what(*kernel) + " has no 'end'");
  for (auto &[programIndex, pending] : pendingLaunches) {
    KernelSpec &program = manifest.kernels[programIndex];
    ProgramLaunch &launch = pending.launch;
    auto callee = std::find_if(
        manifest.kernels.begin(), manifest.kernels.end(),
        [&](const KernelSpec &k) { return k.name == launch.kernel; });
    if (callee == manifest.kernels.end() || callee->program)
      return failAt(pending.line, "program '" + program.name + "' launches '" +
                                      launch.kernel +
                                      "', which is no kernel of the manifest");
    if (launch.operands.size() != callee->args.size())
      return failAt(pending.line, "program '" + program.name + "' passes " +
                                      std::to_string(launch.operands.size()) +
                                      " arguments to kernel '" + launch.kernel +
                                      "', which takes " +
                                      std::to_string(callee->args.size()));
    for (size_t i = 0; i < launch.operands.size(); ++i) {
      const KernelArg &param = callee->args[i];
      int operand = launch.operands[i];
      const KernelArg &arg = operand >= 0
                                 ? program.args[operand]
                                 : program.program->buffers[-1 - operand].type;
      if (param.kind != ArgKind::MemRef || param.rank != arg.rank ||
          param.elementType != arg.elementType)
        return failAt(pending.line,
                      "program '" + program.name + "' passes '" + arg.name +
                          "' (memref<" + std::to_string(arg.rank) + ":" +
                          arg.elementType + ">) as argument '" + param.name +
                          "' of kernel '" + launch.kernel +
                          "', which needs a memref of the same rank and "
                          "element type");
    }
    // A buffer holds nothing until a launch writes it (or a view of it) as
    // a result; a view of an argument holds the argument's data.
    const std::vector<ProgramBuffer> &buffers = program.program->buffers;
    auto root = [&](int operand) {
      while (operand < 0 &&
             buffers[-1 - operand].viewOf != ProgramBuffer::kNotAView)
        operand = buffers[-1 - operand].viewOf;
      return operand;
    };
    std::vector<bool> written(buffers.size(), false);
    for (const ProgramLaunch &earlier : program.program->launches)
      for (int operand : earlier.operands)
        if (root(operand) < 0)
          written[-1 - root(operand)] = true;
    const KernelSpec &kernelSpec = *callee;
    for (size_t i = 0; i < launch.operands.size(); ++i) {
      int operand = launch.operands[i];
      bool isResult =
          std::any_of(kernelSpec.results.begin(), kernelSpec.results.end(),
                      [&](const ResultShape &r) { return r.arg == i; });
      if (root(operand) < 0 && !written[-1 - root(operand)] && !isResult)
        return failAt(pending.line,
                      "program '" + program.name + "' reads buffer '" +
                          program.program->buffers[-1 - operand].type.name +
                          "' before a launch writes it");
    }
    launch.kernelIndex =
        static_cast<unsigned>(callee - manifest.kernels.begin());
    program.program->launches.push_back(std::move(launch));
  }
  for (const KernelSpec &program : manifest.kernels) {
    if (!program.program)
      continue;
    if (program.program->launches.empty())
      return fail("program '" + program.name + "' launches no kernel");
    // Each result must be a kernel's result in some launch.
    for (const ResultShape &result : program.results) {
      bool written = false;
      for (const ProgramLaunch &launch : program.program->launches)
        for (const ResultShape &kernelResult :
             manifest.kernels[launch.kernelIndex].results)
          written |=
              launch.operands[kernelResult.arg] == static_cast<int>(result.arg);
      if (!written)
        return fail("program '" + program.name + "' has a result '" +
                    program.args[result.arg].name + "' that no launch writes");
    }
  }
  return manifest;
}

int64_t celeris::runtime::descriptorExtent(const void *descriptor,
                                           unsigned dim) {
  int64_t extent;
  std::memcpy(&extent, static_cast<const char *>(descriptor) + 8 * (3 + dim),
              sizeof(extent));
  return extent;
}

int64_t celeris::runtime::descriptorStride(const void *descriptor,
                                           unsigned rank, unsigned dim) {
  int64_t stride;
  std::memcpy(&stride,
              static_cast<const char *>(descriptor) + 8 * (3 + rank + dim),
              sizeof(stride));
  return stride;
}

uint64_t celeris::runtime::descriptorStart(const void *descriptor,
                                           int64_t elementBytes) {
  // Aligned pointer and offset: fields 1 and 2.
  const char *fields = static_cast<const char *>(descriptor);
  uint64_t aligned;
  int64_t offset;
  std::memcpy(&aligned, fields + 8, sizeof(aligned));
  std::memcpy(&offset, fields + 16, sizeof(offset));
  return aligned + static_cast<uint64_t>(offset * elementBytes);
}

std::optional<ResultMismatch>
celeris::runtime::findResultMismatch(const std::vector<ResultShape> &results,
                                     void *const *args) {
  for (const ResultShape &result : results)
    for (unsigned d = 0; d < result.dims.size(); ++d) {
      int64_t want = evaluateExtent(result.dims[d], args);
      int64_t have = descriptorExtent(args[result.arg], d);
      if (have != want)
        return ResultMismatch{&result, d, have, want};
    }
  return std::nullopt;
}

int64_t celeris::runtime::evaluateExtent(const ResultShape::Dim &dim,
                                         void *const *args) {
  int64_t extent = 1;
  for (const ResultShape::Factor &factor : dim.factors)
    extent *= factor.arg < 0 ? factor.extent
                             : descriptorExtent(args[factor.arg], factor.dim);
  return extent;
}

bool KernelSpec::checkExtents(void *const *launchArgs,
                              std::string &error) const {
  for (size_t i = 0; i < args.size(); ++i) {
    const KernelArg &arg = args[i];
    if (arg.shape.empty())
      continue;
    if (!launchArgs[i]) {
      error = "argument '" + arg.name + "' is null";
      return false;
    }
    for (unsigned dim = 0; dim < arg.shape.size(); ++dim) {
      int64_t extent = descriptorExtent(launchArgs[i], dim);
      if (arg.shape[dim] == KernelArg::kDynamic || extent == arg.shape[dim])
        continue;
      error = "argument '" + arg.name + "' has extent " +
              std::to_string(extent) + " in dimension " + std::to_string(dim) +
              ", the kernel needs " + std::to_string(arg.shape[dim]);
      return false;
    }
  }
  return true;
}

int64_t celeris::runtime::elementBytes(const std::string &type) {
  if (type == "i8" || type == "ui8")
    return 1;
  if (type == "bf16" || type == "f16" || type == "i16")
    return 2;
  if (type == "f32" || type == "i32")
    return 4;
  if (type == "f64" || type == "i64" || type == "index")
    return 8;
  return 0;
}

bool KernelSpec::checkAlignment(void *const *launchArgs,
                                std::string &error) const {
  for (size_t i = 0; i < args.size(); ++i) {
    const KernelArg &arg = args[i];
    int64_t bytes = elementBytes(arg.elementType);
    if (arg.kind != ArgKind::MemRef || !launchArgs[i] || bytes == 0)
      continue;
    // An empty tensor is never read.
    int64_t elements = 1;
    for (unsigned dim = 0; dim < arg.rank; ++dim)
      elements *= descriptorExtent(launchArgs[i], dim);
    if (elements != 0 && descriptorStart(launchArgs[i], bytes) % 16 != 0) {
      error = "argument '" + arg.name + "' starts at an address that is not " +
              "a multiple of 16 bytes; the kernels move data in 16-byte " +
              "vectors (pass a tensor that owns its storage, or a copy)";
      return false;
    }
  }
  return true;
}

std::optional<std::map<std::string, int64_t>>
KernelSpec::bindSizes(void *const *launchArgs,
                      const std::map<std::string, int64_t> &given,
                      std::string &error) const {
  std::map<std::string, int64_t> bound = given;
  for (const SizeBinding &size : sizes) {
    const KernelArg &arg = args[size.arg];
    if (!launchArgs[size.arg]) {
      error = "argument '" + arg.name + "' is null";
      return std::nullopt;
    }
    int64_t extent = descriptorExtent(launchArgs[size.arg], size.dim);
    auto [it, inserted] = bound.emplace(size.name, extent);
    if (!inserted && it->second != extent) {
      error = "size '" + size.name + "' was given as " +
              std::to_string(it->second) + " but argument '" + arg.name +
              "' has " + std::to_string(extent) + " in dimension " +
              std::to_string(size.dim);
      return std::nullopt;
    }
  }
  return bound;
}

std::optional<TensorMapEncoding>
KernelSpec::encodeTensorMap(const TensorMapSpec &map, void *const *launchArgs,
                            std::string &error) const {
  const KernelArg &arg = args[map.arg];
  const std::string what = "the tensor map over argument '" + arg.name + "'";
  // CUtensorMapDataType of the element types the kernels move.
  static const std::map<std::string, int> dataTypes = {
      {"ui8", 0}, {"i8", 0},  {"i16", 1}, {"i32", 3}, {"i64", 5},
      {"f16", 6}, {"f32", 7}, {"f64", 8}, {"bf16", 9}};
  auto type = dataTypes.find(arg.elementType);
  if (type == dataTypes.end()) {
    error = what + ": element type '" + arg.elementType +
            "' has no tensor-map data type";
    return std::nullopt;
  }
  const void *descriptor = launchArgs[map.arg];
  int64_t bytes = elementBytes(arg.elementType);
  TensorMapEncoding encoding;
  encoding.rank = arg.rank;
  encoding.dataType = type->second;
  encoding.swizzle = map.swizzleBytes == 128 ? 3 : 0;
  encoding.address =
      reinterpret_cast<void *>(descriptorStart(descriptor, bytes));
  for (unsigned d = 0; d < arg.rank; ++d) {
    // Driver dimension i is memref dimension rank - 1 - i.
    unsigned dim = arg.rank - 1 - d;
    int64_t extent = descriptorExtent(descriptor, dim);
    int64_t stride = descriptorStride(descriptor, arg.rank, dim);
    if (extent == 0)
      encoding.encode = false;
    if (extent > (int64_t(1) << 32)) {
      error = what + ": extent " + std::to_string(extent) + " of dimension " +
              std::to_string(dim) +
              " is past 2^32, the most a tensor map describes";
      return std::nullopt;
    }
    encoding.dims[d] = static_cast<uint64_t>(extent);
    encoding.box[d] = static_cast<uint32_t>(map.box[dim]);
    if (d == 0) {
      if (stride != 1 && extent > 1) {
        error = what + ": its innermost dimension has stride " +
                std::to_string(stride) +
                "; a tensor map needs contiguous rows (pass a contiguous "
                "tensor)";
        return std::nullopt;
      }
      continue;
    }
    int64_t strideBytes = stride * bytes;
    if (extent > 1 && (strideBytes % 16 != 0 || strideBytes <= 0 ||
                       strideBytes >= (int64_t(1) << 40))) {
      error = what + ": dimension " + std::to_string(dim) +
              " has a stride of " + std::to_string(strideBytes) +
              " bytes; a tensor map needs a positive multiple of 16 below "
              "2^40 (pass a contiguous tensor whose rows span a multiple of "
              "16 bytes)";
      return std::nullopt;
    }
    // A dimension of one index may have any stride in its descriptor: it
    // gets the dense one, which the driver accepts.
    uint64_t dense =
        encoding.dims[d - 1] *
        (d == 1 ? static_cast<uint64_t>(bytes) : encoding.strides[d - 2]);
    encoding.strides[d - 1] =
        extent > 1 ? static_cast<uint64_t>(strideBytes)
                   : std::max<uint64_t>(16, (dense + 15) / 16 * 16);
  }
  return encoding;
}
