//===- Packing.cpp - Ternary bit layouts ----------------------------------===//
//
// Part of the trilm project.
//
//===----------------------------------------------------------------------===//
//
// Implements the TQ2_0 / TQ1_0 compatible code layouts declared in
// trilm/Packing/Packing.h. Everything works one 256-trit block at a time so
// that packing hundreds of MB needs no allocation and stays cache friendly;
// only a partial last block goes through a small stack buffer.
//
//===----------------------------------------------------------------------===//

#include "trilm/Packing/Packing.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

using namespace trilm::packing;

namespace {

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

bool isValidScheme(Scheme s) { return s == Scheme::TQ2 || s == Scheme::TQ1; }

Status makeError(int64_t index, std::string message) {
  Status st;
  st.index = index;
  st.message = std::move(message);
  return st;
}

Status invalidArgument(const std::string &what) {
  return makeError(0, "invalid argument: " + what);
}

/// A trit is valid iff t + 1 is in {0, 1, 2}; the unsigned wrap turns the
/// range check into one compare.
inline bool isTrit(int8_t t) { return static_cast<uint8_t>(t + 1) <= 2; }

/// Code c = t + 1. The mask keeps garbage input (violated preconditions) from
/// spilling into neighbouring bit fields.
inline uint32_t codeOf(int8_t t) { return static_cast<uint8_t>(t + 1) & 3u; }

std::string tritText(int t) {
  if (t > 0)
    return "+" + std::to_string(t);
  return std::to_string(t);
}

/// Index of the first trit outside {-1, 0, +1} in [0, count), or -1. The
/// first loop is branch-free (vectorisable) because errors are rare.
int64_t firstInvalidTrit(const int8_t *trits, int64_t count) {
  unsigned bad = 0;
  for (int64_t i = 0; i < count; ++i)
    bad |= static_cast<unsigned>(!isTrit(trits[i]));
  if (!bad)
    return -1;
  for (int64_t i = 0; i < count; ++i)
    if (!isTrit(trits[i]))
      return i;
  return -1;
}

//===----------------------------------------------------------------------===//
// TQ1 fixed point
//===----------------------------------------------------------------------===//

/// q = ceil(v * 256 / 243): maps a 5-digit base-3 value onto a byte so that
/// digit n can be extracted with multiplies instead of divisions.
inline uint8_t tq1FixedPoint(uint32_t v) {
  return static_cast<uint8_t>((v * 256 + 242) / 243);
}

/// Groups of TQ1 code bytes: byte firstByte + m holds the elements
/// firstElement + m + stride * n for n = 0 .. numDigits - 1, first element in
/// the most significant base-3 digit. qh bytes hold only 4 digits and are
/// multiplied by 3 once more so those digits occupy the top positions.
struct TQ1Group {
  int firstByte;
  int numBytes;
  int firstElement;
  int stride;
  int numDigits;
};
constexpr TQ1Group kTQ1Groups[3] = {
    {0, 32, 0, 32, 5},    // qs[0..31]: elements 0..159
    {32, 16, 160, 16, 5}, // qs[32..47]: elements 160..239
    {48, 4, 240, 4, 4},   // qh[0..3]: elements 240..255
};
constexpr int kTQ1QsBytes = 48;

/// Decodes the top `numDigits` base-3 digits (codes) of a TQ1 byte with the
/// multiply trick: q_n = uint8(q * 3^n), code = (q_n * 3) >> 8. Returns the
/// byte the encoder would produce for those digits, so the caller can reject
/// bytes the encoder never emits.
inline uint8_t decodeTQ1Byte(uint8_t q, int numDigits, uint8_t codes[5]) {
  uint32_t qn = q;
  uint32_t v = 0;
  for (int n = 0; n < numDigits; ++n) {
    uint32_t c = (qn * 3) >> 8;
    codes[n] = static_cast<uint8_t>(c);
    v = v * 3 + c;
    qn = (qn * 3) & 0xFF;
  }
  if (numDigits == 4)
    v *= 3;
  return tq1FixedPoint(v);
}

//===----------------------------------------------------------------------===//
// Block encoders (codes only)
//===----------------------------------------------------------------------===//

void encodeTQ2Codes(const int8_t *trits, uint8_t *out) {
  // Each 128-trit half fills 32 bytes; byte m takes elements m, m+32, m+64,
  // m+96 of its half at bit offsets 0, 2, 4, 6.
  for (int half = 0; half < 2; ++half) {
    const int8_t *h = trits + 128 * half;
    uint8_t *o = out + 32 * half;
    for (int m = 0; m < 32; ++m)
      o[m] =
          static_cast<uint8_t>(codeOf(h[m]) | codeOf(h[m + 32]) << 2 |
                               codeOf(h[m + 64]) << 4 | codeOf(h[m + 96]) << 6);
  }
}

void encodeTQ1Codes(const int8_t *trits, uint8_t *out) {
  for (const TQ1Group &g : kTQ1Groups) {
    for (int m = 0; m < g.numBytes; ++m) {
      uint32_t v = 0;
      for (int n = 0; n < g.numDigits; ++n)
        v = v * 3 + codeOf(trits[g.firstElement + m + g.stride * n]);
      if (g.numDigits == 4)
        v *= 3;
      out[g.firstByte + m] = tq1FixedPoint(v);
    }
  }
}

void encodeCodes(Scheme s, const int8_t *trits, uint8_t *out) {
  if (s == Scheme::TQ2)
    encodeTQ2Codes(trits, out);
  else
    encodeTQ1Codes(trits, out);
}

//===----------------------------------------------------------------------===//
// Block decoders (codes only)
//===----------------------------------------------------------------------===//

enum class DecodeErrorKind : uint8_t {
  None,
  InvalidTQ2Code,
  InvalidTQ1Byte,
  NonZeroPadding
};

/// Where and why a block failed to decode. `detail` is the bit offset of the
/// bad field (InvalidTQ2Code), the byte the decoded digits re-encode to
/// (InvalidTQ1Byte) or the decoded trit (NonZeroPadding).
struct DecodeError {
  DecodeErrorKind kind = DecodeErrorKind::None;
  int byte = 0;    // byte offset within the block's codes
  int element = 0; // element within the block
  int value = 0;   // the offending byte value
  int detail = 0;
};

/// Decodes 64 TQ2 code bytes into 256 trits. Elements at or beyond `limit` are
/// padding and must decode to 0. Bytes are checked in order so the first bad
/// byte is reported.
DecodeError decodeTQ2Codes(const uint8_t *codes, int8_t *trits, int limit) {
  for (int b = 0; b < 64; ++b) {
    const uint32_t q = codes[b];
    const int base = (b / 32) * 128 + b % 32;
    // A 2-bit field equals 3 iff both of its bits are set.
    if (uint32_t bad = q & (q >> 1) & 0x55u) {
      int l = 0;
      while (!(bad & (1u << (2 * l))))
        ++l;
      DecodeError err;
      err.kind = DecodeErrorKind::InvalidTQ2Code;
      err.byte = b;
      err.element = base + 32 * l;
      err.value = static_cast<int>(q);
      err.detail = 2 * l;
      return err;
    }
    for (int l = 0; l < 4; ++l) {
      const int e = base + 32 * l;
      const int t = static_cast<int>((q >> (2 * l)) & 3u) - 1;
      trits[e] = static_cast<int8_t>(t);
      if (e >= limit && t != 0) {
        DecodeError err;
        err.kind = DecodeErrorKind::NonZeroPadding;
        err.byte = b;
        err.element = e;
        err.value = static_cast<int>(q);
        err.detail = t;
        return err;
      }
    }
  }
  return {};
}

/// Decodes 52 TQ1 code bytes (qs then qh) into 256 trits; see decodeTQ2Codes.
DecodeError decodeTQ1Codes(const uint8_t *codes, int8_t *trits, int limit) {
  for (const TQ1Group &g : kTQ1Groups) {
    for (int m = 0; m < g.numBytes; ++m) {
      const int b = g.firstByte + m;
      const uint8_t q = codes[b];
      uint8_t digits[5];
      const uint8_t reencoded = decodeTQ1Byte(q, g.numDigits, digits);
      if (reencoded != q) {
        DecodeError err;
        err.kind = DecodeErrorKind::InvalidTQ1Byte;
        err.byte = b;
        err.element = g.firstElement + m;
        err.value = q;
        err.detail = reencoded;
        return err;
      }
      for (int n = 0; n < g.numDigits; ++n) {
        const int e = g.firstElement + m + g.stride * n;
        const int t = static_cast<int>(digits[n]) - 1;
        trits[e] = static_cast<int8_t>(t);
        if (e >= limit && t != 0) {
          DecodeError err;
          err.kind = DecodeErrorKind::NonZeroPadding;
          err.byte = b;
          err.element = e;
          err.value = q;
          err.detail = t;
          return err;
        }
      }
    }
  }
  return {};
}

DecodeError decodeCodes(Scheme s, const uint8_t *codes, int8_t *trits,
                        int limit) {
  if (s == Scheme::TQ2)
    return decodeTQ2Codes(codes, trits, limit);
  return decodeTQ1Codes(codes, trits, limit);
}

/// Names a code byte the way llama.cpp's block structs do.
std::string byteFieldName(Scheme s, int byteInBlock) {
  if (s == Scheme::TQ1 && byteInBlock >= kTQ1QsBytes)
    return "qh[" + std::to_string(byteInBlock - kTQ1QsBytes) + "]";
  return "qs[" + std::to_string(byteInBlock) + "]";
}

/// Builds the one-line message for a decode error. `row` < 0 means no row
/// context (unpackRow); `block` < 0 means a single llama.cpp block.
std::string decodeErrorMessage(Scheme s, const DecodeError &err,
                               int64_t byteIndex, int64_t row, int64_t block,
                               int64_t k) {
  std::string where = "byte " + std::to_string(byteIndex) + " (";
  if (row >= 0)
    where += "row " + std::to_string(row) + ", ";
  if (block >= 0)
    where += "block " + std::to_string(block) + ", ";
  where += byteFieldName(s, err.byte) + ")";

  switch (err.kind) {
  case DecodeErrorKind::InvalidTQ2Code:
    return where + " has value " + std::to_string(err.value) +
           " with invalid 2-bit code 3 in bits " + std::to_string(err.detail) +
           "-" + std::to_string(err.detail + 1) +
           "; valid codes are 0 (-1), 1 (0) and 2 (+1)";
  case DecodeErrorKind::InvalidTQ1Byte:
    return where + " has value " + std::to_string(err.value) +
           ", which the TQ1 encoder never produces (its decoded trits "
           "re-encode to " +
           std::to_string(err.detail) + ")";
  case DecodeErrorKind::NonZeroPadding: {
    const int64_t element = (block >= 0 ? block : 0) * kBlockSize + err.element;
    return where + ": padding trit for element " + std::to_string(element) +
           " (beyond k = " + std::to_string(k) +
           ") is not zero; it decodes to " + tritText(err.detail);
  }
  case DecodeErrorKind::None:
    break;
  }
  return where + ": unknown decode error";
}

//===----------------------------------------------------------------------===//
// Rows
//===----------------------------------------------------------------------===//

/// Overflow-safe a * b for non-negative operands.
bool mulOverflows(int64_t a, int64_t b) {
  return a != 0 && b > std::numeric_limits<int64_t>::max() / a;
}

/// Validates the arguments shared by the row and matrix entry points.
Status checkArguments(Scheme s, const void *trits, const void *packed,
                      int64_t n, int64_t k) {
  if (!isValidScheme(s))
    return invalidArgument("unknown packing scheme " +
                           std::to_string(static_cast<int>(s)));
  if (n < 0)
    return invalidArgument("negative row count n = " + std::to_string(n));
  if (k < 0)
    return invalidArgument("negative row length k = " + std::to_string(k));
  const int64_t rowBytes = packedRowBytes(s, k);
  if (mulOverflows(n, k) || mulOverflows(n, rowBytes))
    return invalidArgument("matrix of " + std::to_string(n) + " x " +
                           std::to_string(k) + " trits is too large");
  if (!trits && n * k != 0)
    return invalidArgument("null trit pointer for " + std::to_string(n * k) +
                           " trits");
  if (!packed && n * rowBytes != 0)
    return invalidArgument("null packed pointer for " +
                           std::to_string(n * rowBytes) + " bytes");
  return Status::success();
}

/// Packs one row. `row` < 0 means a standalone row (no row/column in
/// messages); `flatBase` is the flat index of the row's first trit.
Status packRowImpl(Scheme s, const int8_t *trits, int64_t k, uint8_t *out,
                   int64_t row, int64_t flatBase) {
  const int64_t codeBytes = codeBytesPerBlock(s);
  const int64_t blocks = numBlocks(k);
  for (int64_t b = 0; b < blocks; ++b) {
    const int8_t *src = trits + b * kBlockSize;
    const int64_t count = std::min<int64_t>(kBlockSize, k - b * kBlockSize);
    const int64_t bad = firstInvalidTrit(src, count);
    if (bad >= 0) {
      const int64_t column = b * kBlockSize + bad;
      const int64_t flat = flatBase + column;
      std::string msg = "element " + std::to_string(flat);
      if (row >= 0)
        msg += " (row " + std::to_string(row) + ", column " +
               std::to_string(column) + ")";
      msg += " has value " + std::to_string(static_cast<int>(src[bad])) +
             "; ternary weights must be -1, 0 or +1";
      return makeError(flat, std::move(msg));
    }
    int8_t padded[kBlockSize];
    if (count < kBlockSize) {
      // Only the last block is partial: pad it with zero trits.
      std::memcpy(padded, src, static_cast<size_t>(count));
      std::memset(padded + count, 0, static_cast<size_t>(kBlockSize - count));
      src = padded;
    }
    encodeCodes(s, src, out + b * codeBytes);
  }
  return Status::success();
}

/// Unpacks one row; `byteBase` is the offset of the row in the caller's
/// packed buffer so error indices are relative to that buffer.
Status unpackRowImpl(Scheme s, const uint8_t *packed, int64_t k, int8_t *trits,
                     int64_t row, int64_t byteBase) {
  const int64_t codeBytes = codeBytesPerBlock(s);
  const int64_t blocks = numBlocks(k);
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t *codes = packed + b * codeBytes;
    int8_t *dst = trits + b * kBlockSize;
    const int64_t count = std::min<int64_t>(kBlockSize, k - b * kBlockSize);
    DecodeError err;
    if (count == kBlockSize) {
      err = decodeCodes(s, codes, dst, static_cast<int>(kBlockSize));
    } else {
      int8_t tmp[kBlockSize];
      err = decodeCodes(s, codes, tmp, static_cast<int>(count));
      if (err.kind == DecodeErrorKind::None)
        std::memcpy(dst, tmp, static_cast<size_t>(count));
    }
    if (err.kind != DecodeErrorKind::None) {
      const int64_t index = byteBase + b * codeBytes + err.byte;
      return makeError(index, decodeErrorMessage(s, err, index, row, b, k));
    }
  }
  return Status::success();
}

inline void storeHalf(uint16_t h, uint8_t *out) {
  out[0] = static_cast<uint8_t>(h & 0xFF);
  out[1] = static_cast<uint8_t>(h >> 8);
}

inline uint16_t loadHalf(const uint8_t *in) {
  return static_cast<uint16_t>(in[0] | (in[1] << 8));
}

Status decodeLlamaBlock(Scheme s, const uint8_t *in, int8_t *trits,
                        uint16_t *dHalfBits) {
  DecodeError err = decodeCodes(s, in, trits, static_cast<int>(kBlockSize));
  if (err.kind != DecodeErrorKind::None)
    return makeError(err.byte,
                     decodeErrorMessage(s, err, err.byte, -1, -1, kBlockSize));
  if (dHalfBits)
    *dHalfBits = loadHalf(in + codeBytesPerBlock(s));
  return Status::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

namespace trilm::packing {

const char *schemeName(Scheme s) {
  switch (s) {
  case Scheme::TQ2:
    return "tq2";
  case Scheme::TQ1:
    return "tq1";
  }
  return "unknown";
}

std::optional<Scheme> parseScheme(std::string_view name) {
  if (name == "tq2")
    return Scheme::TQ2;
  if (name == "tq1")
    return Scheme::TQ1;
  return std::nullopt;
}

int64_t codeBytesPerBlock(Scheme s) {
  switch (s) {
  case Scheme::TQ2:
    return kTQ2CodeBytes;
  case Scheme::TQ1:
    return kTQ1CodeBytes;
  }
  return 0;
}

int64_t numBlocks(int64_t k) {
  assert(k >= 0 && "row length must be non-negative");
  if (k <= 0)
    return 0;
  // Written without k + 255 so it cannot overflow near INT64_MAX.
  return k / kBlockSize + (k % kBlockSize != 0);
}

int64_t packedRowBytes(Scheme s, int64_t k) {
  return numBlocks(k) * codeBytesPerBlock(s);
}

Status packRow(Scheme s, const int8_t *trits, int64_t k, uint8_t *out) {
  if (Status st = checkArguments(s, trits, out, 1, k); !st.ok())
    return st;
  return packRowImpl(s, trits, k, out, /*row=*/-1, /*flatBase=*/0);
}

Status unpackRow(Scheme s, const uint8_t *packed, int64_t k, int8_t *trits) {
  if (Status st = checkArguments(s, trits, packed, 1, k); !st.ok())
    return st;
  return unpackRowImpl(s, packed, k, trits, /*row=*/-1, /*byteBase=*/0);
}

Status packMatrix(Scheme s, const int8_t *trits, int64_t n, int64_t k,
                  uint8_t *out) {
  if (Status st = checkArguments(s, trits, out, n, k); !st.ok())
    return st;
  const int64_t rowBytes = packedRowBytes(s, k);
  for (int64_t r = 0; r < n; ++r)
    if (Status st =
            packRowImpl(s, trits + r * k, k, out + r * rowBytes, r, r * k);
        !st.ok())
      return st;
  return Status::success();
}

Status unpackMatrix(Scheme s, const uint8_t *packed, int64_t n, int64_t k,
                    int8_t *trits) {
  if (Status st = checkArguments(s, trits, packed, n, k); !st.ok())
    return st;
  const int64_t rowBytes = packedRowBytes(s, k);
  for (int64_t r = 0; r < n; ++r)
    if (Status st = unpackRowImpl(s, packed + r * rowBytes, k, trits + r * k, r,
                                  r * rowBytes);
        !st.ok())
      return st;
  return Status::success();
}

int64_t tripleMatrixBytes(int64_t n, int64_t k) {
  return n / kTripleRows * numBlocks(k) * kTripleBlockBytes;
}

namespace {

/// Argument checks shared by the triples entry points.
Status checkTripleArguments(const void *trits, const void *packed, int64_t n,
                            int64_t k) {
  if (n < 0 || k < 0)
    return invalidArgument("negative size " + std::to_string(n) + "x" +
                           std::to_string(k));
  if (n % kTripleRows != 0)
    return invalidArgument("the triples layout needs a multiple of " +
                           std::to_string(kTripleRows) + " rows, got " +
                           std::to_string(n));
  if (n * k > 0 && (!trits || !packed))
    return invalidArgument("null pointer for a " + std::to_string(n) + "x" +
                           std::to_string(k) + " matrix");
  return Status::success();
}

/// The byte offset of the word of `row` that holds triple `triple` of block
/// `block`, in a matrix with `blocks` blocks per row.
int64_t tripleWordOffset(int64_t row, int64_t block, int64_t triple,
                         int64_t blocks) {
  return ((row / kTripleRows * blocks + block) * kTripleWordsPerBlock +
          triple / kTriplesPerWord) *
             kTripleWordBytes +
         2 * (row % kTripleRows);
}

/// The 16-bit word at `bytes` (little endian).
int tripleWord(const uint8_t *bytes) { return bytes[0] | bytes[1] << 8; }

/// Why `word` is not one the packer writes, or empty.
std::string badTripleWord(int word) {
  if (word & 0x8000)
    return "bit 15 of a triples word is set";
  for (int q = 0; q < kTriplesPerWord; ++q)
    if (int index = word >> kTripleIndexBits * q & kTripleIndexMask;
        index >= 27)
      return "index " + std::to_string(index) +
             " is not a triple of trits (at most 26)";
  return {};
}

} // namespace

Status packTriples(const int8_t *trits, int64_t n, int64_t k, uint8_t *out) {
  if (Status st = checkTripleArguments(trits, out, n, k); !st.ok())
    return st;
  if (int64_t bad = firstInvalidTrit(trits, n * k); bad >= 0)
    return makeError(bad, "element " + std::to_string(bad) + " (row " +
                              std::to_string(bad / k) + ", column " +
                              std::to_string(bad % k) + ") has value " +
                              std::to_string(static_cast<int>(trits[bad])) +
                              "; ternary weights must be -1, 0 or +1");
  int64_t blocks = numBlocks(k);
  std::memset(out, 0, tripleMatrixBytes(n, k));
  for (int64_t row = 0; row < n; ++row)
    for (int64_t block = 0; block < blocks; ++block)
      for (int64_t triple = 0; triple < kTripleWordsPerBlock * kTriplesPerWord;
           ++triple) {
        int index = 0;
        for (int i = 2; i >= 0; --i) {
          int64_t col = block * kBlockSize + 3 * triple + i;
          bool inside = 3 * triple + i < kBlockSize && col < k;
          index = 3 * index + (inside ? trits[row * k + col] + 1 : 1);
        }
        uint8_t *bytes = out + tripleWordOffset(row, block, triple, blocks);
        int word = tripleWord(bytes) |
                   index << kTripleIndexBits * (triple % kTriplesPerWord);
        bytes[0] = static_cast<uint8_t>(word);
        bytes[1] = static_cast<uint8_t>(word >> 8);
      }
  return Status::success();
}

Status unpackTriples(const uint8_t *packed, int64_t n, int64_t k,
                     int8_t *trits) {
  if (Status st = checkTripleArguments(trits, packed, n, k); !st.ok())
    return st;
  int64_t blocks = numBlocks(k);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t block = 0; block < blocks; ++block)
      for (int64_t triple = 0; triple < kTripleWordsPerBlock * kTriplesPerWord;
           ++triple) {
        int64_t offset = tripleWordOffset(row, block, triple, blocks);
        int word = tripleWord(packed + offset);
        if (std::string why = badTripleWord(word); !why.empty())
          return makeError(offset, why + " (row " + std::to_string(row) + ")");
        int index = word >> kTripleIndexBits * (triple % kTriplesPerWord) &
                    kTripleIndexMask;
        for (int i = 0; i < 3; ++i, index /= 3) {
          int64_t col = block * kBlockSize + 3 * triple + i;
          int trit = index % 3 - 1;
          if (3 * triple + i < kBlockSize && col < k)
            trits[row * k + col] = static_cast<int8_t>(trit);
          else if (trit != 0)
            return makeError(offset, "padding trit of row " +
                                         std::to_string(row) + " is " +
                                         tritText(trit) + ", not 0");
        }
      }
  return Status::success();
}

Status checkTriples(const uint8_t *packed, int64_t bytes) {
  if (bytes < 0 || bytes % kTripleWordBytes != 0)
    return invalidArgument(std::to_string(bytes) +
                           " bytes are not whole words of a group of " +
                           std::to_string(kTripleWordBytes));
  if (bytes > 0 && !packed)
    return invalidArgument("null packed pointer for " + std::to_string(bytes) +
                           " bytes");
  for (int64_t offset = 0; offset < bytes; offset += 2)
    if (std::string why = badTripleWord(tripleWord(packed + offset));
        !why.empty())
      return makeError(offset, why);
  return Status::success();
}

Status checkCodes(Scheme s, const uint8_t *codes, int64_t bytes) {
  const int64_t blockBytes = codeBytesPerBlock(s);
  if (s != Scheme::TQ2 && s != Scheme::TQ1)
    return invalidArgument("unknown packing scheme " +
                           std::to_string(static_cast<int>(s)));
  if (bytes < 0 || bytes % blockBytes != 0)
    return invalidArgument(std::to_string(bytes) +
                           " bytes are not whole blocks of " +
                           std::to_string(blockBytes));
  if (bytes > 0 && !codes)
    return invalidArgument("null packed pointer for " + std::to_string(bytes) +
                           " bytes");
  // A fast scan finds the first suspect block; the decoder then names the
  // byte and the reason.
  int64_t firstSuspect = bytes / blockBytes;
  if (s == Scheme::TQ2) {
    for (int64_t i = 0; i < bytes; i += 8) {
      uint64_t word;
      std::memcpy(&word, codes + i, 8); // blocks are 64 bytes: whole words
      if (word & (word >> 1) & 0x5555555555555555ull) {
        firstSuspect = i / blockBytes;
        break;
      }
    }
  } else {
    // Whether each byte value re-encodes to itself, for qs (5 digits) and
    // qh (4 digits) positions.
    static const auto valid = [] {
      std::array<std::array<bool, 256>, 2> table{};
      uint8_t digits[5];
      for (int q = 0; q < 256; ++q)
        for (int qh = 0; qh < 2; ++qh)
          table[qh][q] = decodeTQ1Byte(static_cast<uint8_t>(q),
                                       qh ? 4 : 5, digits) == q;
      return table;
    }();
    for (int64_t i = 0; i < bytes && firstSuspect == bytes / blockBytes; ++i)
      if (!valid[i % blockBytes >= kTQ1QsBytes][codes[i]])
        firstSuspect = i / blockBytes;
  }
  int8_t trits[kBlockSize];
  for (int64_t b = firstSuspect; b < bytes / blockBytes; ++b) {
    DecodeError err = decodeCodes(s, codes + b * blockBytes, trits, kBlockSize);
    if (err.kind != DecodeErrorKind::None) {
      const int64_t index = b * blockBytes + err.byte;
      return makeError(index, decodeErrorMessage(s, err, index, /*row=*/-1,
                                                 b, /*k=*/0));
    }
  }
  return Status::success();
}

void encodeTQ2_0Block(const int8_t trits[256], uint16_t dHalfBits,
                      uint8_t out[66]) {
  assert(firstInvalidTrit(trits, kBlockSize) < 0 && "trits must be -1, 0, +1");
  encodeTQ2Codes(trits, out);
  storeHalf(dHalfBits, out + kTQ2CodeBytes);
}

Status decodeTQ2_0Block(const uint8_t in[66], int8_t trits[256],
                        uint16_t *dHalfBits) {
  return decodeLlamaBlock(Scheme::TQ2, in, trits, dHalfBits);
}

void encodeTQ1_0Block(const int8_t trits[256], uint16_t dHalfBits,
                      uint8_t out[54]) {
  assert(firstInvalidTrit(trits, kBlockSize) < 0 && "trits must be -1, 0, +1");
  encodeTQ1Codes(trits, out);
  storeHalf(dHalfBits, out + kTQ1CodeBytes);
}

Status decodeTQ1_0Block(const uint8_t in[54], int8_t trits[256],
                        uint16_t *dHalfBits) {
  return decodeLlamaBlock(Scheme::TQ1, in, trits, dHalfBits);
}

//===----------------------------------------------------------------------===//
// fp16
//===----------------------------------------------------------------------===//

uint16_t floatToHalfBits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof(x));
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t absx = x & 0x7FFFFFFFu;

  if (absx >= 0x7F800000u) {
    if (absx == 0x7F800000u)
      return static_cast<uint16_t>(sign | 0x7C00u); // infinity
    // NaN: keep the top payload bits and force the quiet bit so the result
    // can never collapse into infinity.
    return static_cast<uint16_t>(sign | 0x7E00u | ((absx >> 13) & 0x3FFu));
  }
  // 65520 is halfway between 65504 (max half, odd mantissa) and 2^16: ties to
  // even round it, and everything above, to infinity.
  if (absx >= 0x477FF000u)
    return static_cast<uint16_t>(sign | 0x7C00u);

  if (absx >= 0x38800000u) {
    // Normal half (>= 2^-14): rebias the exponent, round the 13 dropped bits.
    // A mantissa carry correctly bumps the exponent.
    uint32_t h = ((absx >> 23) - 112) << 10 | ((absx >> 13) & 0x3FFu);
    const uint32_t rest = absx & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
      ++h;
    return static_cast<uint16_t>(sign | h);
  }

  // Subnormal half: the value in units of 2^-24 is m * 2^(e - 126) with
  // m the 24-bit significand, i.e. m >> (126 - e) before rounding.
  const uint32_t e = absx >> 23;
  const uint32_t shift = 126 - e; // >= 14 here
  if (e == 0 || shift > 24)
    return sign; // below 2^-25 (or exactly half of it): rounds to zero
  const uint32_t m = (absx & 0x7FFFFFu) | 0x800000u;
  uint32_t h = m >> shift;
  const uint32_t rest = m & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (h & 1u)))
    ++h; // may carry into the smallest normal (0x0400), which is correct
  return static_cast<uint16_t>(sign | h);
}

float halfBitsToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t mant = h & 0x3FFu;
  uint32_t x;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24 is exact in float.
    float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  if (exp == 0x1F)
    x = sign | 0x7F800000u | mant << 13; // infinity or NaN (payload kept)
  else
    x = sign | (exp + 112) << 23 | mant << 13;
  float f;
  std::memcpy(&f, &x, sizeof(f));
  return f;
}

} // namespace trilm::packing
