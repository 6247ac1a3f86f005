//===- ErrorMatchers.h - Checking llvm::Expected errors in gtests -*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TEST_UNIT_ERRORMATCHERS_H
#define TRILM_TEST_UNIT_ERRORMATCHERS_H

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <string>

namespace trilm::testing {

/// The error's message, or "(no error)".
template <typename T> std::string errorText(llvm::Expected<T> value) {
  if (value)
    return "(no error)";
  return llvm::toString(value.takeError());
}

} // namespace trilm::testing

/// The substring check, printing the whole message when it fails.
#define EXPECT_ERROR(expected, substring)                                      \
  do {                                                                         \
    std::string message = ::trilm::testing::errorText(expected);               \
    EXPECT_NE(message.find(substring), std::string::npos)                      \
        << "message: " << message << "\nexpected to contain: " << substring;   \
  } while (false)

#endif // TRILM_TEST_UNIT_ERRORMATCHERS_H
