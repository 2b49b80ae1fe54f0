//===- NpyIO.cpp - Minimal .npy reader and writer -------------------------===//

#include "NpyIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace celeris::npy;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

int64_t Array::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t celeris::npy::itemSize(StringRef descr) {
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|'))
    return 0;
  char kind = descr[1];
  if (!llvm::is_contained(StringRef("fiubV"), kind))
    return 0;
  unsigned size = 0;
  if (descr.drop_front(2).getAsInteger(10, size) || size == 0 || size > 16)
    return 0;
  return size;
}

/// Returns the text after `'key':` in the header dict, or an empty ref.
static StringRef findValue(StringRef header, StringRef key) {
  std::string quoted1 = ("'" + key + "'").str();
  std::string quoted2 = ("\"" + key + "\"").str();
  size_t pos = header.find(quoted1);
  size_t len = quoted1.size();
  if (pos == StringRef::npos) {
    pos = header.find(quoted2);
    len = quoted2.size();
  }
  if (pos == StringRef::npos)
    return {};
  StringRef rest = header.drop_front(pos + len).ltrim();
  if (!rest.consume_front(":"))
    return {};
  return rest.ltrim();
}

llvm::Expected<Array> celeris::npy::parse(StringRef contents) {
  static const char magic[] = "\x93NUMPY";
  if (!contents.starts_with(StringRef(magic, 6)))
    return makeError("not a .npy file (bad magic string)");
  if (contents.size() < 10)
    return makeError("truncated .npy header");
  unsigned major = static_cast<unsigned char>(contents[6]);
  size_t headerLen, headerStart;
  auto byteAt = [&](size_t i) {
    return static_cast<size_t>(static_cast<unsigned char>(contents[i]));
  };
  if (major == 1) {
    headerLen = byteAt(8) | (byteAt(9) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (contents.size() < 12)
      return makeError("truncated .npy header");
    headerLen = byteAt(8) | (byteAt(9) << 8) | (byteAt(10) << 16) |
                (byteAt(11) << 24);
    headerStart = 12;
  } else {
    return makeError("unsupported .npy format version " + llvm::Twine(major));
  }
  if (contents.size() < headerStart + headerLen)
    return makeError("truncated .npy header");
  StringRef header = contents.substr(headerStart, headerLen);

  Array array;
  // descr: a quoted string. Structured dtypes (a list) are not supported.
  StringRef descr = findValue(header, "descr");
  if (descr.empty() || (descr[0] != '\'' && descr[0] != '"'))
    return makeError("unsupported .npy dtype (only simple dtypes are read)");
  char quote = descr[0];
  size_t end = descr.find(quote, 1);
  if (end == StringRef::npos)
    return makeError("malformed .npy header (descr)");
  array.descr = descr.substr(1, end - 1).str();

  StringRef fortran = findValue(header, "fortran_order");
  if (fortran.starts_with("True"))
    return makeError("Fortran-order .npy arrays are not supported (save a "
                     "C-contiguous array)");
  if (!fortran.starts_with("False"))
    return makeError("malformed .npy header (fortran_order)");

  StringRef shape = findValue(header, "shape");
  if (!shape.consume_front("("))
    return makeError("malformed .npy header (shape)");
  size_t close = shape.find(')');
  if (close == StringRef::npos)
    return makeError("malformed .npy header (shape)");
  shape = shape.take_front(close);
  while (!shape.trim().empty()) {
    auto [dim, rest] = shape.split(',');
    dim = dim.trim();
    if (dim.ends_with("L"))
      dim = dim.drop_back();
    int64_t value;
    if (dim.getAsInteger(10, value) || value < 0)
      return makeError("malformed .npy header (shape)");
    array.shape.push_back(value);
    shape = rest;
  }

  size_t item = itemSize(array.descr);
  if (item == 0)
    return makeError("unsupported .npy dtype '" + array.descr + "'");
  size_t numBytes = static_cast<size_t>(array.numElements()) * item;
  StringRef payload = contents.drop_front(headerStart + headerLen);
  if (payload.size() < numBytes)
    return makeError("truncated .npy data: expected " + llvm::Twine(numBytes) +
                     " bytes, found " + llvm::Twine(payload.size()));
  array.data.assign(payload.begin(), payload.begin() + numBytes);
  return array;
}

llvm::Expected<Array> celeris::npy::read(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("cannot open '" + path +
                     "': " + buffer.getError().message());
  auto array = parse((*buffer)->getBuffer());
  if (!array)
    return makeError("'" + path + "': " + llvm::toString(array.takeError()));
  return array;
}

llvm::Error celeris::npy::write(StringRef path, StringRef descr,
                                llvm::ArrayRef<int64_t> shape,
                                const void *data, size_t numBytes) {
  std::string header;
  llvm::raw_string_ostream os(header);
  os << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  for (int64_t d : shape)
    os << d << (shape.size() == 1 ? "," : ", ");
  if (shape.size() > 1)
    header.resize(header.size() - 2);
  os << "), }";
  // Pad with spaces so that magic + version + length + header is a multiple
  // of 64 bytes, ending with a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  out << StringRef("\x93NUMPY\x01\x00", 8);
  char len[2] = {static_cast<char>(header.size() & 0xff),
                 static_cast<char>((header.size() >> 8) & 0xff)};
  out.write(len, 2);
  out << header;
  out.write(static_cast<const char *>(data), numBytes);
  out.close();
  if (out.has_error())
    return makeError("cannot write '" + path + "': " + out.error().message());
  return llvm::Error::success();
}
