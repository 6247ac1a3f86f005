"""trilm's exceptions: each carries one line saying what went wrong, the
message of trilm's compiler, runtime or tokenizer."""


class Error(Exception):
    """The base of trilm's errors. `status` is the C runtime's trilm_status
    (1: input/output, 2: invalid model or file, 3: invalid argument,
    4: context full, 5: out of memory, 6: no usable GPU or a GPU failure) for
    errors of the runtime, 0 for the others."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class CompileError(Error):
    """A checkpoint that cannot be compiled, or options that do not apply."""


class ModelError(Error):
    """A compiled model that cannot be opened."""


class ContextError(Error):
    """A context that cannot be created, or tokens it cannot evaluate."""


class TokenizerError(Error):
    """A tokenizer.json that cannot be read, or text it cannot encode."""
