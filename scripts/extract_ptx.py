#!/usr/bin/env python3
"""Prints the PTX that `gpu-module-to-binary{format=isa}` embedded in a
module's `gpu.binary` ops (the `assembly` string of each `#gpu.object`), so
that it can be assembled by ptxas or read.

Usage: extract_ptx.py [INPUT.mlir|-] [-o OUT.ptx]
"""
import argparse
import re
import sys

OBJECT = re.compile(r'#gpu\.object<#nvvm\.target<[^>]*>,[^"]*?"((?:[^"\\]|\\.)*)"')


def unescape(text):
    """MLIR string escapes: \\\\, \\", \\n, \\t and \\XX (hex)."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] != "\\":
            out += text[i].encode()
            i += 1
        elif text[i + 1] in '\\"':
            out += text[i + 1].encode()
            i += 2
        elif text[i + 1] in "nt":
            out += b"\n" if text[i + 1] == "n" else b"\t"
            i += 2
        else:
            out.append(int(text[i + 1:i + 3], 16))
            i += 3
    return bytes(out).rstrip(b"\0")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", default="-")
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args()
    text = sys.stdin.read() if args.input == "-" else open(args.input).read()
    objects = OBJECT.findall(text)
    if not objects:
        sys.exit("extract_ptx.py: no PTX found: compile with format=isa")
    ptx = b"\n".join(unescape(obj) for obj in objects)
    if args.output == "-":
        sys.stdout.buffer.write(ptx)
    else:
        with open(args.output, "wb") as out:
            out.write(ptx)


if __name__ == "__main__":
    main()
