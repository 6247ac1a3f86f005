# Sourced by the scripts that run the sanitizer build (scripts/test.sh,
# scripts/fuzz.sh); source it to run its tools by hand.
#
# allow_user_poisoning=0: LLVM's and MLIR's header-only allocators poison and
# unpoison memory through the ASan interface when compiled into trilm's
# instrumented code, but not inside the uninstrumented libLLVM/libMLIR that
# allocate from the same slabs, which ASan then reports as use-after-poison.
# Real overflows of heap blocks are still reported.
export ASAN_OPTIONS="allow_user_poisoning=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
