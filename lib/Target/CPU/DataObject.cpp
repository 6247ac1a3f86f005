//===- DataObject.cpp - An ELF object holding one block of data -----------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Gigabytes of model weights should not pass through LLVM constants and the
// assembler, which would each hold a copy: this writes the relocatable ELF
// object directly, streaming the data from a file in chunks.
//
//===----------------------------------------------------------------------===//

#include "trilm/Target/CPU/CPUTarget.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/TargetParser/Triple.h"

#include <vector>

using namespace llvm;

namespace {

Error failure(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

template <typename T>
void writeStruct(raw_ostream &os, const T &value) {
  os.write(reinterpret_cast<const char *>(&value), sizeof(value));
}

} // namespace

Error trilm::cpu::emitDataObject(const CPUTarget &target, StringRef symbol,
                                 StringRef dataPath, uint64_t alignment,
                                 raw_ostream &os) {
  Triple triple(target.triple);
  uint16_t machine = triple.isAArch64()           ? ELF::EM_AARCH64
                     : triple.getArch() == Triple::x86_64 ? ELF::EM_X86_64
                                                          : ELF::EM_NONE;
  if (machine == ELF::EM_NONE || !triple.isOSBinFormatELF())
    return failure("data objects are written for x86-64 and AArch64 ELF, not " +
                   target.triple);
  uint64_t size;
  if (std::error_code ec = sys::fs::file_size(dataPath, size))
    return failure("cannot read " + dataPath + ": " + ec.message());

  // Sections: null, .rodata (the data), .note.GNU-stack (no executable
  // stack), .symtab, .strtab, .shstrtab.
  enum { kRodata = 1, kNoteStack, kSymtab, kStrtab, kShstrtab, kSections };
  std::string strtab(1, '\0');
  strtab += symbol;
  strtab += '\0';
  const char shstrtab[] =
      "\0.rodata\0.note.GNU-stack\0.symtab\0.strtab\0.shstrtab";
  const uint32_t names[] = {0, 1, 9, 25, 33, 41};

  uint64_t dataOffset = alignTo(sizeof(ELF::Elf64_Ehdr), alignment);
  uint64_t symtabOffset = alignTo(dataOffset + size, 8);
  uint64_t symtabSize = 2 * sizeof(ELF::Elf64_Sym);
  uint64_t strtabOffset = symtabOffset + symtabSize;
  uint64_t shstrtabOffset = strtabOffset + strtab.size();
  uint64_t headersOffset = alignTo(shstrtabOffset + sizeof(shstrtab), 8);

  ELF::Elf64_Ehdr header = {};
  std::memcpy(header.e_ident, ELF::ElfMagic, 4);
  header.e_ident[ELF::EI_CLASS] = ELF::ELFCLASS64;
  header.e_ident[ELF::EI_DATA] = ELF::ELFDATA2LSB;
  header.e_ident[ELF::EI_VERSION] = ELF::EV_CURRENT;
  header.e_ident[ELF::EI_OSABI] = ELF::ELFOSABI_NONE;
  header.e_type = ELF::ET_REL;
  header.e_machine = machine;
  header.e_version = ELF::EV_CURRENT;
  header.e_shoff = headersOffset;
  header.e_ehsize = sizeof(ELF::Elf64_Ehdr);
  header.e_shentsize = sizeof(ELF::Elf64_Shdr);
  header.e_shnum = kSections;
  header.e_shstrndx = kShstrtab;
  writeStruct(os, header);
  os.write_zeros(dataOffset - sizeof(header));

  auto file = sys::fs::openNativeFileForRead(dataPath);
  if (!file)
    return failure("cannot read " + dataPath + ": " +
                   toString(file.takeError()));
  std::vector<char> chunk(1 << 20);
  uint64_t copied = 0;
  while (copied < size) {
    Expected<size_t> read = sys::fs::readNativeFile(
        *file, MutableArrayRef<char>(chunk.data(), chunk.size()));
    if (!read || *read == 0) {
      sys::fs::closeFile(*file);
      return failure("cannot read " + dataPath);
    }
    os.write(chunk.data(), *read);
    copied += *read;
  }
  sys::fs::closeFile(*file);
  os.write_zeros(symtabOffset - dataOffset - size);

  ELF::Elf64_Sym symbols[2] = {};
  symbols[1].st_name = 1;
  symbols[1].setBindingAndType(ELF::STB_GLOBAL, ELF::STT_OBJECT);
  symbols[1].st_shndx = kRodata;
  symbols[1].st_size = size;
  writeStruct(os, symbols);
  os.write(strtab.data(), strtab.size());
  os.write(shstrtab, sizeof(shstrtab));
  os.write_zeros(headersOffset - shstrtabOffset - sizeof(shstrtab));

  ELF::Elf64_Shdr sections[kSections] = {};
  auto section = [&](int index, uint32_t type, uint64_t flags, uint64_t offset,
                     uint64_t sectionSize, uint64_t align) {
    ELF::Elf64_Shdr &s = sections[index];
    s.sh_name = names[index];
    s.sh_type = type;
    s.sh_flags = flags;
    s.sh_offset = offset;
    s.sh_size = sectionSize;
    s.sh_addralign = align;
  };
  section(kRodata, ELF::SHT_PROGBITS, ELF::SHF_ALLOC, dataOffset, size,
          alignment);
  section(kNoteStack, ELF::SHT_PROGBITS, 0, dataOffset, 0, 1);
  section(kSymtab, ELF::SHT_SYMTAB, 0, symtabOffset, symtabSize, 8);
  sections[kSymtab].sh_link = kStrtab;
  sections[kSymtab].sh_info = 1; // the first global symbol
  sections[kSymtab].sh_entsize = sizeof(ELF::Elf64_Sym);
  section(kStrtab, ELF::SHT_STRTAB, 0, strtabOffset, strtab.size(), 1);
  section(kShstrtab, ELF::SHT_STRTAB, 0, shstrtabOffset, sizeof(shstrtab), 1);
  writeStruct(os, sections);
  return Error::success();
}
